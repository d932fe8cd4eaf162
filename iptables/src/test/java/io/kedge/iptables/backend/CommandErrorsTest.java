package io.kedge.iptables.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.kedge.common.exec.CommandException;
import io.kedge.common.exec.CommandResult;
import io.kedge.iptables.IptablesException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Classification of what the real tools print (samples taken from iptables 1.8.9, both variants). */
class CommandErrorsTest {
    static final String INPUT = "*nat\n:KEDGE-B - [0:0]\n-A KEDGE-B -j RETURN\n-A KEDGE-B -p tcp -j DNAT --to-destination bogus\nCOMMIT\n";

    private static CommandResult failed(int exit, String stderr) {
        return new CommandResult(List.of("iptables-nft-restore", "--noflush"), exit, "", stderr);
    }

    @Test
    void quotesTheLineNftRejected() {
        IptablesException e = CommandErrors.classify("iptables-nft-restore", failed(2,
                "iptables-nft-restore v1.8.9 (nf_tables): Bad IP address \"bogus\"\nError occurred at line: 4\n"
                        + "Try `iptables-nft-restore -h' or 'iptables-nft-restore --help' for more information.\n"), INPUT);
        assertThat(e.kind()).isEqualTo(IptablesException.Kind.REJECTED);
        assertThat(e.lineNumber()).isEqualTo(4);
        assertThat(e.line()).isEqualTo("-A KEDGE-B -p tcp -j DNAT --to-destination bogus");
        assertThat(e.getMessage()).isEqualTo("iptables-nft-restore rejected line 4 `-A KEDGE-B -p tcp -j DNAT --to-destination bogus`: "
                + "Bad IP address \"bogus\" (nothing of this transaction was applied)");
    }

    @Test
    void quotesTheLineLegacyAndNftCommitErrorsName() {
        IptablesException legacy = CommandErrors.classify("iptables-legacy-restore", failed(1, "iptables-restore: line 3 failed\n"), INPUT);
        assertThat(legacy.kind()).isEqualTo(IptablesException.Kind.REJECTED);
        assertThat(legacy.line()).isEqualTo("-A KEDGE-B -j RETURN");
        IptablesException busy = CommandErrors.classify("iptables-nft-restore", failed(4,
                "iptables-nft-restore v1.8.9 (nf_tables): \nline 2: CHAIN_DEL failed (Device or resource busy): chain KEDGE-A\n"), INPUT);
        assertThat(busy.lineNumber()).isEqualTo(2);
        assertThat(busy.getMessage()).contains("`:KEDGE-B - [0:0]`").contains("CHAIN_DEL failed (Device or resource busy)");
    }

    @Test
    void permissionProblemsSayWhatIsNeeded() {
        IptablesException nft = CommandErrors.classify("iptables-nft-restore", failed(4,
                "iptables-nft-restore v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\n"), INPUT);
        assertThat(nft.kind()).isEqualTo(IptablesException.Kind.PERMISSION);
        assertThat(nft.getMessage()).isEqualTo("iptables-nft-restore needs root / CAP_NET_ADMIN: "
                + "Could not fetch rule set generation id: Permission denied (you must be root)");
        IptablesException lock = CommandErrors.classify("iptables-legacy-restore", failed(4,
                "Fatal: can't open lock file /run/xtables.lock: Permission denied\n"), INPUT);
        assertThat(lock.kind()).isEqualTo(IptablesException.Kind.PERMISSION);
    }

    @Test
    void missingToolsAndOtherFailures() {
        assertThat(CommandErrors.classify("iptables-nft-save", failed(1, "exec of \"/usr/sbin/iptables-nft-save\" failed: No such file or directory\n"), null)
                .getMessage()).isEqualTo("iptables-nft-save is not installed or not on PATH: install the iptables package");
        assertThat(CommandErrors.classify("iptables-nft-save", new CommandException("cannot run `x`: x is not installed or not on PATH", null))
                .kind()).isEqualTo(IptablesException.Kind.NOT_INSTALLED);
        IptablesException timeout = CommandErrors.classify("iptables-nft-save", new CommandException("`x` did not finish within PT1M", null));
        assertThat(timeout.kind()).isEqualTo(IptablesException.Kind.FAILED);
        IptablesException odd = CommandErrors.classify("iptables-nft-restore", failed(3, "something odd\n"), INPUT);
        assertThat(odd.kind()).isEqualTo(IptablesException.Kind.FAILED);
        assertThat(odd.getMessage()).isEqualTo("`iptables-nft-restore --noflush` exited 3: something odd");
        assertThat(CommandErrors.classify("t", failed(2, "Error occurred at line: 99\n"), INPUT).kind())
                .as("a line number outside the input is not quoted").isEqualTo(IptablesException.Kind.FAILED);
    }
}
