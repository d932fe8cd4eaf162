package io.kedge.topo.spec;

import io.kedge.common.config.ConfigException;
import java.util.regex.Pattern;

/** Host, site and topology names become parts of namespace names: keep them short and plain. */
final class Names {
    static final int MAX_LENGTH = 24;
    private static final Pattern VALID = Pattern.compile("[a-z][a-z0-9-]*");

    private Names() {
    }

    static void check(String key, String name) {
        if (name == null) {
            throw new ConfigException(key, null, "is required");
        }
        if (name.length() > MAX_LENGTH || !VALID.matcher(name).matches() || name.endsWith("-")) {
            throw new ConfigException(key, name, "must be lower-case letters, digits and '-', start with a letter, at most "
                    + MAX_LENGTH + " characters");
        }
    }
}
