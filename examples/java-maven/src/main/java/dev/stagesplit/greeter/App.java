package dev.stagesplit.greeter;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/** A tiny HTTP greeter; --selftest prints what / would answer and exits. */
public final class App {
    private App() {}

    static String body(Greeting g) {
        CRC32 crc = new CRC32();
        crc.update("stagesplit".getBytes(StandardCharsets.UTF_8));
        return g.message() + " (v" + Greeting.version() + ", crc32=" + Long.toHexString(crc.getValue()) + ")\n";
    }

    public static void main(String[] args) throws IOException {
        Greeting g = new Greeting();
        if (args.length > 0 && args[0].equals("--selftest")) {
            System.out.print(body(g));
            return;
        }
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/", exchange -> {
            byte[] out = body(g).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(200, out.length);
            try (OutputStream os = exchange.getResponseBody()) {
                os.write(out);
            }
        });
        server.start();
        System.out.println("greeter listening on :" + port);
    }
}
