package dev.winnow.webui.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code winnow serve} in-process: what it prints at start, its token file, and its refusals of bad options. */
class ServeCommandTest {
    private static final Path SHARED = Path.of(System.getProperty("winnow.shared.dir", "../shared"));
    private static final Path MODEL = SHARED.resolve("models/stories260K.gguf");

    @Test
    void printsUrlAndTokenServesAndStops(@TempDir Path dir) throws Exception {
        Path tokenFile = dir.resolve("token");
        String token = "a-shared-token-for-every-server";
        Files.writeString(tokenFile, token + "\n");
        CommandLine cli = WinnowCli.newCommandLine();
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(new StringWriter(), true));
        int[] code = {-1};
        Thread t = Thread.ofPlatform()
                .start(() -> code[0] = cli.execute(
                        "serve",
                        "--port",
                        "0",
                        "--token-file",
                        tokenFile.toString(),
                        "--model",
                        "pw=pointwise:" + MODEL,
                        "--model",
                        "bow=hashed-bow:32",
                        "--threads",
                        "1"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!out.toString().contains("Token: ")) {
            assertTrue(t.isAlive() && System.nanoTime() < deadline, "no start-up lines: " + out);
            Thread.sleep(50);
        }
        Thread.sleep(100);
        String printed = out.toString();
        Matcher m = Pattern.compile("at (http://127\\.0\\.0\\.1:(\\d+)/v1)").matcher(printed);
        assertTrue(m.find(), printed);
        assertTrue(printed.contains("Token: " + token), printed);
        assertTrue(printed.contains("pw: pointwise"), printed);
        assertTrue(printed.contains("bow: embedding, embeddings of 32 dimensions"), printed);
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> models = http.send(
                HttpRequest.newBuilder(URI.create(m.group(1) + "/models"))
                        .header("Authorization", "Bearer " + token)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, models.statusCode(), models.body());
        assertTrue(models.body().contains("\"id\":\"pw\""), models.body());
        t.interrupt();
        t.join(TimeUnit.SECONDS.toMillis(60));
        assertFalse(t.isAlive());
        assertEquals(0, code[0]);
        HttpRequest after = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.group(2) + "/health"))
                .timeout(Duration.ofSeconds(10))
                .build();
        assertThrows(IOException.class, () -> http.send(after, HttpResponse.BodyHandlers.ofString()));
    }

    @Test
    void badModelOptionsAreRefusedWithTheirReason(@TempDir Path dir) throws Exception {
        CliRun r = CliRun.of("serve", "--port", "0", "--model", "minilm");
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("expected NAME=SPEC"), r.err());
        r = CliRun.of("serve", "--port", "0", "--model", "x=pointwise:" + dir.resolve("none.gguf"));
        assertEquals(1, r.code());
        assertTrue(r.err().contains("neither an existing model file nor a catalog name"), r.err());
        r = CliRun.of("serve", "--port", "0", "--model", "x=nosuchranker:" + MODEL);
        assertEquals(1, r.code());
        assertTrue(r.err().contains("nosuchranker"), r.err());
        r = CliRun.of("serve", "--port", "0", "--model", "x=hashed-bow:8", "--model", "x=hashed-bow:16");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("given twice"), r.err());
        Path shortToken = dir.resolve("t");
        Files.writeString(shortToken, "short");
        r = CliRun.of("serve", "--port", "0", "--model", "x=hashed-bow:8", "--token-file", shortToken.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("at least 16 characters"), r.err());
        r = CliRun.of("serve");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--model"), r.err());
    }
}
