package io.kedge.agent.launch;

import java.util.concurrent.TimeUnit;

/**
 * The program ClassDataArchiveLauncherTest runs through bin/lib/cds.sh, from a jar of its own:
 * {@code exit N} ends at once with status N; {@code wait} prints "ready" and then waits (at most a
 * minute) to be stopped by a signal.
 */
public final class ClassDataArchiveProbe {
    private ClassDataArchiveProbe() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length == 2 && args[0].equals("exit")) {
            System.out.println("probe ran");
            System.exit(Integer.parseInt(args[1]));
        }
        System.out.println("ready");
        System.out.flush();
        TimeUnit.SECONDS.sleep(60);
    }
}
