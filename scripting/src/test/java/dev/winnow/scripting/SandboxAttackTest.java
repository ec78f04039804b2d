package dev.winnow.scripting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, the sandbox tried as an attacker: JavaScript and Python in real GraalVM contexts (through {@link
 * ScriptHost} as {@code winnow run} and the notebook use it) try to read and write outside the grant by every path and
 * API at hand, to reach the host (Java interop, other languages, processes, sockets, threads, native code, the
 * environment) and to end it (signals, exits, huge outputs). Every attempt must fail with a clear error, nothing
 * outside the workspace may change, and the host keeps running cells afterwards. Failures shown for a cell carry the
 * sandbox's reason and no absolute host path outside the workspace.
 */
class SandboxAttackTest {
    @TempDir
    static Path root;

    static Path workspace;
    static Path outside;
    static Path protectedDir;
    static ScriptHost host;
    static ScriptSession session;
    static TreeMap<String, String> before;

    @BeforeAll
    static void open() throws Exception {
        workspace = Files.createDirectories(root.resolve("ws"));
        outside = Files.createDirectories(root.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), "secret");
        Files.writeString(outside.resolve("evil.js"), "globalThis.pwned = 'loaded from outside';");
        Files.writeString(outside.resolve("evilmod.py"), "PWNED = True\n");
        Files.createDirectories(outside.resolve("sub"));
        // links inside the workspace that lead out: one direct, one through a chain of two links, one relative
        Files.createSymbolicLink(workspace.resolve("out"), outside);
        Files.createSymbolicLink(workspace.resolve("l2"), outside);
        Files.createSymbolicLink(workspace.resolve("l1"), workspace.resolve("l2"));
        Files.createSymbolicLink(workspace.resolve("rel"), Path.of("..", "outside"));
        Files.createSymbolicLink(workspace.resolve("secret-link.txt"), outside.resolve("secret.txt"));
        Files.createSymbolicLink(workspace.resolve("dangling"), outside.resolve("not-yet.txt"));
        Files.createDirectories(workspace.resolve("sub/deeper"));
        Files.writeString(workspace.resolve("mine.txt"), "mine");
        // a hard link the workspace already holds (scripts cannot make one) to a file outside it
        Files.createLink(workspace.resolve("hard-out.txt"), outside.resolve("secret.txt"));
        protectedDir = Files.createDirectories(workspace.resolve("models"));
        Files.writeString(protectedDir.resolve("model.gguf"), "weights");
        host = ScriptHost.create(Sandbox.of(workspace).withProtectedTrees(protectedDir));
        session = host.openSession();
        before = snapshot(outside);
    }

    @AfterAll
    static void close() {
        host.close();
    }

    /** Path to contents (or "<dir>") of every file under a tree, links not followed. */
    private static TreeMap<String, String> snapshot(Path dir) throws IOException {
        TreeMap<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                m.put(dir.relativize(p).toString(), Files.isDirectory(p) ? "<dir>" : Files.readString(p));
            }
        }
        return m;
    }

    private static String value(Language lang, String code) throws ScriptFailure {
        return session.run(lang, code, "attack", new RecordingSink())
                .value()
                .map(DisplayData::plainText)
                .orElse("");
    }

    private static String py(Object p) {
        return "'" + p.toString().replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /**
     * Runs Python attempts, each a lambda in a list of (name, lambda); returns those that did not raise (with their
     * result) and the messages of those that did.
     */
    private static List<String> pythonAttempts(String setup, String... attempts) throws ScriptFailure {
        StringBuilder code = new StringBuilder("import os, sys, shutil, pathlib\nOUT = " + py(outside) + "\nos.chdir("
                + py(workspace) + ")\n" + setup + "\n");
        code.append("succeeded = []\nattempts = [\n");
        for (String a : attempts) {
            code.append("  (").append(py(a)).append(", lambda: ").append(a).append("),\n");
        }
        code.append("]\nfor name, f in attempts:\n")
                .append("    try:\n")
                .append("        r = f()\n")
                .append("        succeeded.append(name + ' -> ' + repr(r)[:200])\n")
                .append("    except BaseException as e:\n")
                .append("        if isinstance(e, (KeyboardInterrupt, SystemExit)):\n")
                .append("            succeeded.append(name + ' raised ' + type(e).__name__)\n")
                .append("'\\n'.join(succeeded)");
        String v = value(Language.PYTHON, code.toString());
        List<String> out = new ArrayList<>();
        for (String line : v.substring(1, v.length() - 1).split("\\\\n")) {
            if (!line.isBlank()) {
                out.add(line);
            }
        }
        return out;
    }

    @Test
    void pythonFileAttacksAllFailAndChangeNothingOutside() throws Exception {
        List<String> succeeded = pythonAttempts(
                "open('seed.txt', 'w').write('seed')\nos.makedirs('zipdir', exist_ok=True)",
                // writes by every API, absolute
                "open(OUT + '/a.txt', 'w').write('x')",
                "open(OUT + '/secret.txt', 'a').write('x')",
                "open(OUT + '/secret.txt', 'r+').write('x')",
                "os.open(OUT + '/b.txt', os.O_WRONLY | os.O_CREAT)",
                "os.rename('seed.txt', OUT + '/seed.txt')",
                "os.replace('seed.txt', OUT + '/seed.txt')",
                "os.rename(OUT + '/secret.txt', 'stolen.txt')",
                "os.remove(OUT + '/secret.txt')",
                "os.unlink(OUT + '/secret.txt')",
                "os.rmdir(OUT + '/sub')",
                "os.mkdir(OUT + '/newdir')",
                "os.makedirs(OUT + '/x/y/z')",
                "os.symlink(OUT, 'made-link')",
                "os.symlink('mine.txt', 'made-link2')",
                "os.link(OUT + '/secret.txt', 'hard.txt')",
                "os.link('mine.txt', 'hard2.txt')",
                "os.truncate(OUT + '/secret.txt', 0)",
                "os.chmod(OUT + '/secret.txt', 0o777)",
                "os.utime(OUT + '/secret.txt', (0, 0))",
                "shutil.copyfile('seed.txt', OUT + '/copy.txt')",
                "shutil.copy('seed.txt', OUT)",
                "shutil.copytree('sub', OUT + '/tree')",
                "shutil.move('seed.txt', OUT + '/moved.txt')",
                "shutil.rmtree(OUT + '/sub')",
                "pathlib.Path(OUT, 'p.txt').write_text('x')",
                "pathlib.Path(OUT, 'secret.txt').unlink()",
                "pathlib.Path(OUT, 'secret.txt').rename('stolen2.txt')",
                // relative: '..', links, chains, '..' after a link, chdir
                "open('../outside/a.txt', 'w').write('x')",
                "open('sub/../../outside/a.txt', 'w').write('x')",
                "open('sub/deeper/../../../outside/a.txt', 'w').write('x')",
                "open('out/a.txt', 'w').write('x')",
                "open('l1/a.txt', 'w').write('x')",
                "open('rel/a.txt', 'w').write('x')",
                "open('out/../outside/a.txt', 'w').write('x')",
                "open('secret-link.txt', 'w').write('x')",
                "open('dangling', 'w').write('x')",
                "os.remove('out/secret.txt')",
                "os.rename('l1/secret.txt', 'stolen3.txt')",
                "os.chdir('out')",
                "os.chdir('l1')",
                "os.chdir('..')",
                "os.chdir('/')",
                // /proc views of the same files
                "open('/proc/self/root' + OUT + '/a.txt', 'w').write('x')",
                "open('/proc/self/cwd/../outside/a.txt', 'w').write('x')",
                "open('/proc/thread-self/root' + OUT + '/a.txt', 'w').write('x')",
                // reads outside the grant
                "open(OUT + '/secret.txt').read()",
                "open('out/secret.txt').read()",
                "open('l1/secret.txt').read()",
                "open('rel/secret.txt').read()",
                "open('secret-link.txt').read()",
                "open('../outside/secret.txt').read()",
                "open('/proc/self/root' + OUT + '/secret.txt').read()",
                "open('/proc/self/environ').read()",
                "open('/proc/self/maps').read()",
                "open('/proc/self/cmdline').read()",
                "open('/etc/passwd').read()",
                "os.listdir(OUT)",
                "os.listdir('out')",
                "list(os.scandir('l1'))",
                "os.stat(OUT + '/secret.txt')",
                "os.readlink('/proc/self/exe')",
                "__import__('glob').glob(OUT + '/*') or 1 / 0",
                // imports from outside: sys.path, zipimport, importlib
                "(sys.path.insert(0, OUT), __import__('evilmod'))[1]",
                "(sys.path.insert(0, 'out'), __import__('evilmod'))[1]",
                "__import__('zipimport').zipimporter(OUT + '/evil.zip')",
                "__import__('importlib.util').util.spec_from_file_location('evilmod', OUT + '/evilmod.py').loader.exec_module(None)",
                "__import__('runpy').run_path(OUT + '/evilmod.py')",
                // byte-code caches next to the standard library
                "__import__('py_compile').compile(os.__file__, doraise=True)",
                "__import__('py_compile').compile(os.__file__, cfile=os.path.dirname(os.__file__) + '/evil.pyc', doraise=True)",
                "open(__import__('importlib.util').util.cache_from_source(os.__file__), 'wb').write(b'x')",
                "open(os.path.join(os.path.dirname(os.__file__), 'sitecustomize.py'), 'w').write('x')",
                "open(os.path.join(sys.prefix, 'pwned.txt'), 'w').write('x')",
                "os.makedirs(os.path.join(os.path.dirname(os.__file__), '__pycache__', 'x'))",
                // exec of compiled code objects does the same file access
                "exec(compile('open(OUT + \"/c.txt\", \"w\").write(\"x\")', '<c>', 'exec'), {'OUT': OUT})",
                "__import__('types').FunctionType(compile('open(OUT + \"/d.txt\", \"w\")', '<d>', 'exec'), {'OUT': OUT})()",
                "exec(__import__('marshal').loads(__import__('marshal').dumps(compile('open(OUT + \"/e.txt\", \"w\")', '<e>', 'exec'))), {'OUT': OUT})",
                // a hard link already in the workspace to a file outside it: its content and mode stay as they are
                "open('hard-out.txt', 'w').write('x')",
                "open('hard-out.txt', 'a').write('x')",
                "open('hard-out.txt', 'r+').write('x')",
                "os.open('hard-out.txt', os.O_WRONLY | os.O_TRUNC)",
                "os.truncate('hard-out.txt', 0)",
                "os.chmod('hard-out.txt', 0o777)",
                "shutil.copyfile('seed.txt', 'hard-out.txt')",
                // the protected tree inside the workspace
                "open('models/model.gguf', 'w').write('x')",
                "open('models/new.so', 'w').write('x')",
                "os.rename('models', 'models2')",
                "os.remove('models/model.gguf')",
                "shutil.rmtree('models')",
                // last: it changes the current directory
                "(os.chdir('sub/deeper'), open('../../../outside/a.txt', 'w').write('x'))");
        assertEquals(List.of(), succeeded);
        assertEquals(before, snapshot(outside), "nothing outside the workspace changed");
        assertEquals("weights", Files.readString(protectedDir.resolve("model.gguf")));
        assertFalse(Files.exists(workspace.resolve("stolen.txt")));
        assertFalse(Files.exists(workspace.resolve("made-link2")));
        assertFalse(Files.exists(workspace.resolve("hard2.txt")));
        // the grant itself still works
        assertEquals(
                "'mine'",
                value(Language.PYTHON, "import os\nos.chdir(" + py(workspace) + ")\nopen('mine.txt').read()"));
    }

    @Test
    void pythonHostEscapesAllFail() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            int port = server.getLocalPort();
            List<String> succeeded = new ArrayList<>();
            for (String attempt : List.of(
                    // Java and other languages
                    "__import__('java').type('java.lang.Runtime')",
                    "__import__('polyglot').import_value('winnow')",
                    "__import__('polyglot').eval(language='js', string='1')",
                    "__import__('polyglot').eval(language='python', string='1')",
                    "__import__('__graalpython__').read_file(OUT + '/secret.txt')",
                    "__import__('__graalpython__').build_java_class(object, 'X', 'java.lang.Object')",
                    "__import__('__graalpython__').extend('java.lang.Object')",
                    "winnow.getClass()",
                    "winnow.__class__.__dict__['forName']",
                    "type(winnow).forName('java.lang.Runtime')",
                    // processes, native code
                    "os.system('touch ' + OUT + '/sys.txt')",
                    "os.popen('id').read()",
                    "os.execv('/bin/sh', ['sh', '-c', 'true'])",
                    "os.posix_spawn('/bin/sh', ['sh'], {})",
                    "os.fork()",
                    "__import__('subprocess').run(['/bin/true'])",
                    "__import__('subprocess').Popen('true', shell=True)",
                    "__import__('ctypes').CDLL(None)",
                    "__import__('_ctypes').dlopen('libc.so.6')",
                    "__import__('mmap').mmap(os.open(OUT + '/secret.txt', os.O_RDWR), 0)",
                    // network
                    "__import__('socket').create_connection(('127.0.0.1', PORT), timeout=2)",
                    "__import__('socket').socket().connect(('127.0.0.1', PORT))",
                    "__import__('socket').socket(__import__('socket').AF_INET, __import__('socket').SOCK_DGRAM).sendto(b'x', ('127.0.0.1', PORT))",
                    "__import__('socket').socket().bind(('127.0.0.1', 0))",
                    "__import__('urllib.request').request.urlopen('http://127.0.0.1:%d/' % PORT, timeout=2)",
                    "__import__('socket').gethostbyname('localhost')",
                    // threads
                    "__import__('threading').Thread(target=print).start()",
                    "__import__('_thread').start_new_thread(print, ())",
                    "__import__('concurrent.futures').futures.ThreadPoolExecutor(1).submit(print).result()",
                    // the process: signals, exits, faulthandler
                    "os.kill(os.getpid(), 9)",
                    "os.killpg(os.getpgid(0), 9)",
                    "__import__('signal').raise_signal(15)",
                    "__import__('signal').pthread_kill(__import__('threading').get_ident(), 15)",
                    "__import__('faulthandler').dump_traceback_later(0.05, exit=True)",
                    // the prelude's signal guard survives re-importing and reloading the modules
                    "(sys.modules.pop('_signal'), __import__('_signal'))[1].raise_signal(15)",
                    "__import__('importlib').reload(__import__('signal')).raise_signal(15)",
                    "__import__('importlib.util').util.module_from_spec(__import__('importlib.util').util.find_spec('_signal')).alarm(1)",
                    "os.setsid()",
                    "os.setpgid(0, 0)",
                    "os.abort()",
                    // the environment is empty and changing it changes nothing outside
                    "os.environ['HOME']",
                    "os.environ['PATH']",
                    "os.getenv('USER') or os.getenv('HOME') or os.getenv('JAVA_HOME') or 1/0",
                    "open('/proc/self/environ').read()")) {
                // one cell each: GraalVM's own refusals (processes, threads) cannot be caught by the script
                String code =
                        "import os, sys\nOUT = " + py(outside) + "\nPORT = " + port + "\nr = " + attempt + "\nrepr(r)";
                try {
                    succeeded.add(attempt + " -> " + value(Language.PYTHON, code));
                } catch (ScriptFailure f) {
                    assertFalse(f.getMessage().isBlank(), attempt);
                    assertFalse(
                            f.getMessage().startsWith("java."),
                            attempt + ": a clear error, not a Java exception: " + f.getMessage());
                }
            }
            server.setSoTimeout(500);
            boolean connected;
            try (var s = server.accept()) {
                connected = true;
            } catch (SocketTimeoutException expected) {
                connected = false;
            }
            assertFalse(connected, "a script reached a local socket");
            assertEquals(List.of(), succeeded);
        }
        assertEquals(before, snapshot(outside));
        Thread.sleep(1000); // a faulthandler timer or a signal, had one been set, would have fired by now
        assertEquals("4", value(Language.PYTHON, "2 + 2"));
        assertEquals("4", value(Language.JS, "2 + 2"));
    }

    @Test
    void javaScriptAttacksAllFail() throws Exception {
        List<String> attempts = List.of(
                "load(OUT + '/evil.js')",
                "load('out/evil.js')",
                "load('l1/evil.js')",
                "load('rel/evil.js')",
                "load('../outside/evil.js')",
                "load('sub/deeper/../../../outside/evil.js')",
                "load('file://' + OUT + '/evil.js')",
                "load('/proc/self/root' + OUT + '/evil.js')",
                "load('/proc/self/environ')",
                "load('https://127.0.0.1:1/x.js')",
                "loadWithNewGlobal(OUT + '/evil.js')",
                "Java.type('java.lang.Runtime')",
                "Packages.java.lang.Runtime",
                "java.lang.Runtime",
                "Polyglot.eval('python', '1')",
                "Polyglot.import('winnow')",
                "quit()",
                "exit(1)",
                "process.exit(1)",
                "require('fs')",
                "new Worker('x.js')",
                "read(OUT + '/secret.txt')",
                "readbuffer(OUT + '/secret.txt')",
                "readFully(OUT + '/secret.txt')",
                "winnow.getClass()",
                "winnow.getClass().forName('java.lang.Runtime')",
                "winnow.constructor.forName('java.lang.Runtime')",
                "Object.getPrototypeOf(winnow).getClass()",
                "winnow.buildIndex(winnow.collection('coll'), OUT + '/idx', null)",
                "winnow.buildIndex(winnow.collection('coll'), 'out/idx', null)",
                "winnow.buildIndex(winnow.collection('coll'), 'models/idx', null)",
                "winnow.collection(OUT)",
                "winnow.collection('../outside')",
                "winnow.openIndex('l1')",
                "winnow.loadModel(OUT + '/secret.txt')",
                "winnow.loadModel('secret-link.txt')");
        Path coll = Files.createDirectories(workspace.resolve("coll"));
        Files.writeString(
                coll.resolve("corpus.jsonl"), "{\"_id\": \"d1\", \"title\": \"t\", \"text\": \"hello world\"}\n");
        Files.writeString(coll.resolve("queries.jsonl"), "{\"_id\": \"q1\", \"text\": \"hello\"}\n");
        StringBuilder code = new StringBuilder("const OUT = '" + outside + "';\nconst succeeded = [];\n");
        for (String a : attempts) {
            code.append("try { const r = (")
                    .append(a)
                    .append("); succeeded.push(")
                    .append("'")
                    .append(a.replace("\\", "\\\\").replace("'", "\\'"))
                    .append(" -> ' + String(r)); } catch (e) {}\n");
        }
        code.append("(typeof pwned === 'undefined' ? '' : 'pwned ') + succeeded.join('\\n')");
        assertEquals("", value(Language.JS, code.toString()));
        // dynamic import reports through its promise
        value(
                Language.JS,
                "globalThis.state = 'pending';\n" + "import('" + outside
                        + "/evil.js').then(() => state = 'loaded', e => state = 'rejected: ' + e.message);");
        String state = value(Language.JS, "state");
        assertTrue(state.startsWith("rejected: ") && state.contains("outside the sandbox"), state);
        assertEquals("undefined", value(Language.JS, "typeof pwned"));
        assertEquals(before, snapshot(outside));
        assertFalse(Files.exists(protectedDir.resolve("idx")));
        assertEquals("4", value(Language.JS, "2 + 2"));
    }

    /** A refused path's failure says which path and why, and shows no host path outside the workspace. */
    @Test
    void refusalsSayWhyWithoutHostPaths() throws Exception {
        String home = System.getProperty("user.home");
        String[][] cases = {
            // language, code, the reason the failure must name
            {"py", "open(" + py(outside.resolve("a.txt")) + ", 'w')", "outside the sandbox (outside the workspace)"},
            {"py", "open('out/secret.txt')", "outside the sandbox (outside the workspace)"},
            {"py", "open('models/model.gguf', 'a')", "read-only to scripts: inside the protected folder models"},
            {"py", "import os\nos.rename('models', 'm2')", "read-only to scripts: inside the protected folder models"},
            {"py", "import os\nopen(os.__file__, 'a')", "read-only to scripts: inside the GraalPy home (<graalpy-home>)"
            },
            {"py", "import sys\nopen(sys.prefix + '/pwned.txt', 'w')", "read-only to scripts: inside the GraalPy home"},
            {
                "py",
                "open(" + py(Path.of(System.getProperty("java.home"), "release")) + ", 'a')",
                "inside the Java runtime (<java-home>)"
            },
            {"py", "import os\nos.symlink('mine.txt', 'x')", "scripts cannot create symbolic links"},
            {"py", "open('hard-out.txt', 'a')", "read-only to scripts: the file has 1 other hard link(s)"},
            {"py", "import os\nos.chdir('out')", "outside the sandbox"},
            {"js", "load('out/evil.js')", "outside the sandbox (outside the workspace)"},
            {"js", "load(" + py(outside.resolve("evil.js")) + ")", "outside the sandbox (outside the workspace)"}
        };
        for (String[] c : cases) {
            Language lang = c[0].equals("js") ? Language.JS : Language.PYTHON;
            ScriptFailure f = assertThrows(
                    ScriptFailure.class, () -> session.run(lang, c[1], "refused", new RecordingSink()), c[1]);
            assertTrue(f.getMessage().contains(c[2]), c[1] + ": " + f.getMessage());
            assertTrue(f.traceback().contains(c[2]), c[1] + ": " + f.traceback());
            for (String text : new String[] {f.getMessage(), f.traceback()}) {
                assertFalse(text.contains(home + "/.cache"), text);
                assertFalse(text.contains("/org.graalvm.polyglot/"), text);
                assertFalse(text.contains(System.getProperty("java.home")), text);
            }
        }
        // a traceback through the standard library names its files under <graalpy-home>
        ScriptFailure json = assertThrows(
                ScriptFailure.class,
                () -> session.run(Language.PYTHON, "import json\njson.loads('{')", "j.py", new RecordingSink()));
        assertTrue(
                json.traceback().contains("File \"<graalpy-home>/lib/python3.12/json/decoder.py\""), json.traceback());
        assertFalse(json.traceback().contains("org.graalvm.polyglot"), json.traceback());
        // paths under the workspace stay as they are
        ScriptFailure mine = assertThrows(
                ScriptFailure.class,
                () -> session.run(
                        Language.PYTHON,
                        "open(" + py(workspace.resolve("nope.txt")) + ")",
                        "m.py",
                        new RecordingSink()));
        assertTrue(mine.getMessage().contains(workspace.resolve("nope.txt").toString()), mine.getMessage());
        // host API errors the script can catch are scrubbed too
        assertEquals(
                "true",
                value(
                        Language.JS,
                        "try { winnow.loadModel('" + Path.of(System.getProperty("java.home"), "release")
                                + "'); 'loaded' }"
                                + " catch (e) { String(e.message.includes('<java-home>/release') && !e.message.includes('"
                                + System.getProperty("java.home") + "')) }"));
        // network and process refusals are named as such, not as Java exceptions
        ScriptFailure net = assertThrows(
                ScriptFailure.class,
                () -> session.run(
                        Language.PYTHON,
                        "import socket\nsocket.create_connection(('127.0.0.1', 9))",
                        "n.py",
                        new RecordingSink()));
        assertTrue(net.getMessage().startsWith("SandboxError: not available to scripts"), net.getMessage());
        ScriptFailure proc = assertThrows(
                ScriptFailure.class,
                () -> session.run(Language.PYTHON, "import os\nos.system('id')", "p.py", new RecordingSink()));
        assertTrue(
                proc.getMessage().startsWith("SandboxError: not available to scripts: Process creation"),
                proc.getMessage());
        assertEquals("4", value(Language.PYTHON, "2 + 2"));
    }

    /** Output floods reach the sink and end; the host keeps running cells. */
    @Test
    void hugeOutputsDoNotEndTheHost() throws Exception {
        AtomicLong chars = new AtomicLong();
        OutputSink counting = new OutputSink() {
            @Override
            public void stdout(String text) {
                chars.addAndGet(text.length());
            }

            @Override
            public void stderr(String text) {
                chars.addAndGet(text.length());
            }

            @Override
            public void display(DisplayData data) {
                chars.addAndGet(data.plainText().length());
            }
        };
        session.run(
                Language.PYTHON,
                "import sys\nfor i in range(20):\n    sys.stdout.write('x' * 1_000_000)\n",
                "big.py",
                counting);
        assertEquals(20_000_000L, chars.get());
        chars.set(0);
        session.run(Language.JS, "for (let i = 0; i < 20; i++) console.log('y'.repeat(1000000));", "big.js", counting);
        assertEquals(20_000_020L, chars.get());
        ScriptFailure tooBig = assertThrows(
                ScriptFailure.class,
                () -> session.run(Language.PYTHON, "'x' * (10**10)", "huge.py", new RecordingSink()));
        assertFalse(tooBig.getMessage().isBlank());
        assertEquals("4", value(Language.PYTHON, "2 + 2"));
    }
}
