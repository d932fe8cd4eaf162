package io.kedge.iptables.backend;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Finds the iptables tools. The sbin directories are searched too: a service account's PATH often lacks them. */
public final class Binaries {
    private static final List<String> SBIN = List.of("/usr/sbin", "/sbin", "/usr/local/sbin");

    private Binaries() {
    }

    /** {@code name} in the directories of PATH and the sbin directories, if it is an executable file. */
    public static Optional<Path> find(String name) {
        return find(name, searchPath(System.getenv("PATH")));
    }

    static Optional<Path> find(String name, List<Path> directories) {
        for (Path dir : directories) {
            Path candidate = dir.resolve(name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    static List<Path> searchPath(String path) {
        Set<String> dirs = new LinkedHashSet<>();
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                if (!dir.isBlank()) {
                    dirs.add(dir);
                }
            }
        }
        dirs.addAll(SBIN);
        List<Path> result = new ArrayList<>();
        dirs.forEach(d -> result.add(Path.of(d)));
        return result;
    }
}
