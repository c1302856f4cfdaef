package dev.stagesplit.greeter;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The greeting, read from greeter.properties on the class path. */
final class Greeting {
    private final Properties props = new Properties();

    Greeting() {
        try (InputStream in = Greeting.class.getResourceAsStream("/greeter.properties")) {
            if (in == null) {
                throw new IllegalStateException("greeter.properties is not on the class path");
            }
            props.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String message() {
        return props.getProperty("greeting") + ", " + props.getProperty("audience") + "!";
    }

    /** The version Maven wrote into the jar manifest. */
    static String version() {
        String v = Greeting.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
