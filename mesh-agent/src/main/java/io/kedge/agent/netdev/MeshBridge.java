package io.kedge.agent.netdev;

import io.kedge.common.exec.CommandException;
import io.kedge.common.exec.CommandResult;
import io.kedge.common.exec.CommandRunner;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh address: a bridge device (default {@code edgemesh0}) holding one link-local address
 * (default 169.254.96.16/32) that the DNS server and proxy listeners bind to and that pods use as
 * their cluster DNS. A bridge, not a dummy device, because some kernels lack the dummy driver (as
 * EdgeMesh found). Creating it is idempotent, so a restart after a crash simply adopts it.
 */
public final class MeshBridge implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MeshBridge.class);

    private final CommandRunner runner;
    private final String device;
    private final String address;
    private boolean created;

    public MeshBridge(CommandRunner runner, String device, String address) {
        this.runner = runner;
        this.device = device;
        this.address = address;
    }

    public String device() {
        return device;
    }

    public String address() {
        return address;
    }

    /** Makes sure the device exists, is up and holds the address. */
    public void ensure() {
        if (!exists()) {
            try {
                runner.check(List.of("ip", "link", "add", device, "type", "bridge"));
            } catch (CommandException e) {
                throw new CommandException("cannot create the mesh bridge " + device + " (needs root / CAP_NET_ADMIN): "
                        + e.getMessage(), e);
            }
            created = true;
            log.info("created mesh bridge {}", device);
        }
        CommandResult addrs = runner.check(List.of("ip", "-4", "-o", "addr", "show", "dev", device));
        if (!addrs.stdout().contains(" " + address + "/")) {
            runner.check(List.of("ip", "addr", "add", address + "/32", "dev", device));
        }
        runner.check(List.of("ip", "link", "set", device, "up"));
    }

    public boolean exists() {
        return runner.run(List.of("ip", "link", "show", "dev", device)).ok();
    }

    /** Removes the device (and with it the address). */
    @Override
    public void close() {
        if (exists()) {
            CommandResult r = runner.run(List.of("ip", "link", "delete", device));
            if (!r.ok()) {
                log.warn("could not remove mesh bridge {}: {}", device, r.stderr().strip());
            } else {
                log.info("removed mesh bridge {}{}", device, created ? "" : " (adopted from an earlier run)");
            }
        }
    }
}
