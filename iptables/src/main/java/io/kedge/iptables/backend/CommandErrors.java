package io.kedge.iptables.backend;

import io.kedge.common.exec.CommandException;
import io.kedge.common.exec.CommandResult;
import io.kedge.iptables.IptablesException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns what a failed iptables tool printed into an {@link IptablesException} an operator can act on:
 * missing tools, missing privileges, and the exact input line iptables-restore rejected.
 */
final class CommandErrors {
    /** Both variants name the line: "Error occurred at line: 4", "line 2: CHAIN_DEL failed", "line 2 failed". */
    private static final Pattern LINE = Pattern.compile("\\bline:? (\\d+)");
    private static final Pattern VERSION_PREFIX = Pattern.compile("^\\S+ v[0-9][0-9.]*(?: \\([^)]*\\))?:\\s*");
    private static final List<String> PERMISSION = List.of("Permission denied", "you must be root", "Operation not permitted");

    private CommandErrors() {
    }

    /**
     * @param tool  the tool's name for the message, e.g. iptables-nft-restore
     * @param input the restore input, to quote the rejected line; null for save
     */
    static IptablesException classify(String tool, CommandResult result, String input) {
        String stderr = result.stderr() == null ? "" : result.stderr();
        String reason = reason(stderr.isBlank() ? result.stdout() : stderr);
        if (PERMISSION.stream().anyMatch(stderr::contains)) {
            return IptablesException.permission(tool, reason);
        }
        if (stderr.contains("exec of") && stderr.contains("No such file or directory")) {
            return IptablesException.notInstalled(tool); // ip netns exec could not find it
        }
        if (input != null) {
            Matcher m = LINE.matcher(stderr);
            if (m.find()) {
                String[] lines = input.split("\n", -1);
                int number = parse(m.group(1));
                if (number >= 1 && number <= lines.length) {
                    return IptablesException.rejected(tool, number, lines[number - 1], reason);
                }
            }
        }
        return new IptablesException(IptablesException.Kind.FAILED, "`" + result.commandLine() + "` exited " + result.exitCode()
                + (reason.isEmpty() ? "" : ": " + reason), null);
    }

    /** A tool that could not be started or did not finish. */
    static IptablesException classify(String tool, CommandException e) {
        String message = String.valueOf(e.getMessage());
        if (message.contains("is not installed or not on PATH")) {
            return IptablesException.notInstalled(tool);
        }
        if (message.contains("permission denied executing")) {
            return IptablesException.permission(tool, message);
        }
        return new IptablesException(IptablesException.Kind.FAILED, message, e);
    }

    /** The informative part of what a tool printed: without its version banner and usage hints, on one line. */
    static String reason(String output) {
        List<String> parts = new ArrayList<>();
        for (String raw : output.split("\n")) {
            String line = VERSION_PREFIX.matcher(raw.strip()).replaceFirst("").strip();
            if (line.isEmpty() || line.startsWith("Error occurred at line") || line.startsWith("Try `")) {
                continue;
            }
            parts.add(line);
        }
        return String.join("; ", parts);
    }

    private static int parse(String digits) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
