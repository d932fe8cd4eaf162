package io.kedge.common.exec;

import java.util.List;

/** What a finished external command printed and how it exited. */
public record CommandResult(List<String> command, int exitCode, String stdout, String stderr) {

    public boolean ok() {
        return exitCode == 0;
    }

    /** The command line as a person would type it, for error messages and logs. */
    public String commandLine() {
        return CommandRunner.render(command);
    }
}
