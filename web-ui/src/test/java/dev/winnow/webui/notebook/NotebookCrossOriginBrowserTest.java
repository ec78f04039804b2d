package dev.winnow.webui.notebook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.winnow.scripting.Language;
import dev.winnow.scripting.Sandbox;
import dev.winnow.scripting.ScriptHost;
import dev.winnow.webui.notebook.security.AccessPolicy;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A cross-port attack in a real headless Chromium: the user has the notebook open (so the browser holds its cookies),
 * then visits a page served from another port of 127.0.0.1 (a different origin, but the same site, so the browser
 * sends the {@code SameSite=Strict} cookies along). That page tries to open the kernel WebSocket and to call the API;
 * everything is refused, and the notebook page itself keeps running cells.
 */
class NotebookCrossOriginBrowserTest {
    @TempDir
    static Path dir;

    @TempDir
    static Path profile;

    static ScriptHost host;
    static NotebookServer server;
    static HttpServer attacker;
    static WebDriver driver;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(
                Files.isExecutable(NotebookBrowserTest.CHROMIUM)
                        && Files.isExecutable(NotebookBrowserTest.CHROMEDRIVER),
                "needs Debian's chromium and chromium-driver (.ci/run installs them)");
        host = ScriptHost.create(Sandbox.of(dir)).prewarm(Language.JS);
        server = NotebookServer.start(NotebookServer.Options.loopback(dir), host);
        server.store().create("victim.ipynb", Language.JS);
        attacker = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        byte[] page = attackPage(server.port()).getBytes(StandardCharsets.UTF_8);
        attacker.createContext("/", ex -> {
            ex.getResponseHeaders().add("Content-Type", "text/html; charset=utf-8");
            ex.sendResponseHeaders(200, page.length);
            ex.getResponseBody().write(page);
            ex.close();
        });
        attacker.start();
        driver = NotebookBrowserTest.newDriver(profile);
    }

    @AfterAll
    static void stop() {
        if (driver != null) {
            driver.quit();
        }
        if (attacker != null) {
            attacker.stop(0);
        }
        if (server != null) {
            server.close();
        }
        if (host != null) {
            host.close();
        }
    }

    /** The attacker's page: every attempt reports into {@code window.results} under its name. */
    static String attackPage(int port) {
        String target = "127.0.0.1:" + port;
        return """
        <!doctype html><html><body><script>
        window.results = {};
        const target = '%s';
        const ws = new WebSocket('ws://' + target + '/api/kernel?path=victim.ipynb');
        ws.onopen = () => {
          window.results.ws = 'open';
          ws.send(JSON.stringify({type: 'execute', cellId: 'x', language: 'js', code: 'console.log("hijacked")'}));
        };
        ws.onmessage = ev => { window.results.wsMessage = ev.data; };
        ws.onclose = ev => { if (!window.results.ws) window.results.ws = 'refused ' + ev.code; };
        // a simple (no-preflight) cross-origin POST: the browser sends it, with the same-site cookies
        fetch('http://' + target + '/api/notebooks', {method: 'POST', mode: 'no-cors', credentials: 'include',
            headers: {'Content-Type': 'text/plain'}, body: JSON.stringify({path: 'pwned.ipynb', language: 'js'})})
          .then(r => window.results.post = 'sent ' + r.type, e => window.results.post = 'failed ' + e);
        fetch('http://' + target + '/api/kernel/restart?path=victim.ipynb', {method: 'POST', mode: 'no-cors',
            credentials: 'include'})
          .then(r => window.results.restart = 'sent ' + r.type, e => window.results.restart = 'failed ' + e);
        // needs a CORS preflight, which carries no cookie and is answered with a refusal
        fetch('http://' + target + '/api/notebook?path=victim.ipynb', {method: 'DELETE', credentials: 'include',
            headers: {'X-XSRFToken': 'guess'}})
          .then(r => window.results.del = 'status ' + r.status, e => window.results.del = 'failed');
        // reading the list: the response carries no CORS headers, so the page cannot read it
        fetch('http://' + target + '/api/notebooks', {credentials: 'include'})
          .then(r => r.text()).then(t => window.results.read = 'read ' + t, e => window.results.read = 'failed');
        </script></body></html>
        """.formatted(target);
    }

    @Test
    void aPageOnAnotherPortCannotReachTheKernelOrTheApiWhileTheNotebookKeepsWorking() throws Exception {
        driver.get(server.url() + "&path=victim.ipynb");
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(60), Duration.ofMillis(50));
        wait.until(d -> "true".equals(d.findElement(By.tagName("body")).getAttribute("data-ready")));
        wait.until(d -> d.findElement(By.id("kernel-status")).getText().contains("idle"));
        // the browser now holds this server's cookies, named for its port
        Set<String> names =
                driver.manage().getCookies().stream().map(Cookie::getName).collect(Collectors.toSet());
        assertTrue(names.contains(AccessPolicy.tokenCookie(server.port())), names.toString());
        assertTrue(names.contains(AccessPolicy.xsrfCookie(server.port())), names.toString());
        String before = Files.readString(dir.resolve("victim.ipynb"));

        driver.get("http://127.0.0.1:" + attacker.getAddress().getPort() + "/");
        JavascriptExecutor js = (JavascriptExecutor) driver;
        wait.until(d -> {
            Object n = js.executeScript(
                    "return window.results && ['ws','post','restart','del','read'].every(k => k in window.results)");
            return Boolean.TRUE.equals(n);
        });
        Thread.sleep(500);
        @SuppressWarnings("unchecked")
        Map<String, Object> results = (Map<String, Object>) js.executeScript("return window.results");
        assertTrue(String.valueOf(results.get("ws")).startsWith("refused"), results.toString());
        assertFalse(results.containsKey("wsMessage"), results.toString());
        assertEquals("failed", results.get("del"), results.toString());
        assertEquals("failed", results.get("read"), results.toString());
        // the no-cors requests were sent (with the cookies) but refused by the server: nothing changed
        assertFalse(Files.exists(dir.resolve("pwned.ipynb")), "cross-port POST created a notebook: " + results);
        assertTrue(Files.exists(dir.resolve("victim.ipynb")));
        assertEquals(before, Files.readString(dir.resolve("victim.ipynb")));

        // the notebook page itself still works: it runs a cell through its own WebSocket
        driver.get("http://127.0.0.1:" + server.port() + "/?path=victim.ipynb");
        wait.until(d -> "true".equals(d.findElement(By.tagName("body")).getAttribute("data-ready")));
        wait.until(d -> d.findElement(By.id("kernel-status")).getText().contains("idle"));
        WebElement ta = driver.findElement(By.cssSelector("#notebook .cell .cm-content"));
        ta.click();
        ta.sendKeys("6 * 7 + ' from the page'");
        ta.sendKeys(Keys.chord(Keys.SHIFT, Keys.ENTER));
        WebElement cell = driver.findElements(By.cssSelector("#notebook .cell")).get(0);
        wait.until(d -> "ok".equals(cell.getAttribute("data-status")));
        assertTrue(
                cell.findElement(By.cssSelector(".outputs")).getText().contains("42 from the page"),
                cell.findElement(By.cssSelector(".outputs")).getText());
        // and its autosave (a PUT with the XSRF header) is accepted
        wait.until(d -> "saved".equals(d.findElement(By.tagName("body")).getAttribute("data-save-state")));
        assertTrue(Files.readString(dir.resolve("victim.ipynb")).contains("42 from the page"));
    }
}
