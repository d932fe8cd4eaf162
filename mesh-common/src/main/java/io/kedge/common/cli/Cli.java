package io.kedge.common.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.kedge.common.config.ConfigException;
import io.kedge.common.exec.CommandException;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Shared entry point for the project's command-line programs: consistent exit codes, logging level
 * and error reporting (a configuration or command error prints one clear line, not a stack trace).
 */
public final class Cli {
    /** Exit code for a bad configuration or argument value. */
    public static final int EXIT_CONFIG = 2;
    /** Exit code for a failed external command or environment problem. */
    public static final int EXIT_ENVIRONMENT = 3;

    private Cli() {
    }

    /** Runs {@code command} with {@code args} and returns the exit code. */
    public static int run(Object command, String... args) {
        CommandLine cli = new CommandLine(command);
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof ConfigException) {
                commandLine.getErr().println("error: " + ex.getMessage());
                return EXIT_CONFIG;
            }
            if (ex instanceof CommandException) {
                commandLine.getErr().println("error: " + ex.getMessage());
                return EXIT_ENVIRONMENT;
            }
            throw ex;
        });
        return cli.execute(args);
    }

    /** Runs and exits the JVM with the command's exit code. */
    public static void main(Object command, String... args) {
        System.exit(run(command, args));
    }

    /** Sets the root log level: "error", "warn", "info", "debug" or "trace". */
    public static void logLevel(String level) {
        Level parsed = Level.toLevel(level, null);
        if (parsed == null) {
            throw new ConfigException("--log-level", level, "expected one of error, warn, info, debug, trace");
        }
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(parsed);
    }
}
