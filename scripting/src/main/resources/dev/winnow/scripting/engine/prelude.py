# Winnow's Python prelude (GraalPy, Python 3.12): evaluated once per context before any cell (file name "<winnow-prelude>").
# It defines the builtins display(value, mime=None), WinnowError and tolist(view), and returns the helpers the host
# calls; the `winnow` object is attached (as a builtin) when a session takes the context.
#
# Start-up: only modules GraalPy has already loaded at start are imported here (builtins, sys, _signal, polyglot).
# base64, json, linecache (which pulls in tokenize and re) and traceback are imported where they are first needed, and
# the signal module is not imported at all (patching _signal is enough, see below): importing them eagerly doubled the
# time of a first Python context (measured in docs/benchmarks.md, "Python start-up").
def __winnow_prelude():
    import builtins
    import sys

    prelude_file = "<winnow-prelude>"

    # Signals: GraalPy's _signal raises and handles the JVM's own signals (sun.misc.Signal), so raise_signal(SIGTERM)
    # or alarm(1) would stop the whole Winnow process and signal.signal(SIGINT, f) would replace its handlers. The
    # builtin module is patched in place (importing it again returns the same object); signal.signal only records the
    # handler, raising and timers are refused. No original function is kept in a closure a script could reach. The
    # signal module is not loaded yet: when a script imports it, its `from _signal import *` copies the patched
    # functions and its signal()/getsignal() call _signal's at call time. Should it be loaded already, it is patched too.
    import _signal

    signal_module = sys.modules.get("signal")

    handlers = {}
    default_getsignal = _signal.getsignal
    valid = set(int(s) for s in _signal.valid_signals()) if hasattr(_signal, "valid_signals") else set(range(1, 65))

    def refuse(name):
        def refused(*args, **kwargs):
            raise PermissionError(
                "signal." + name + "() is not available to scripts: signals would reach the Winnow process itself"
            )

        refused.__name__ = refused.__qualname__ = name
        return refused

    def record_signal(signalnum, handler):
        """Records a handler without installing it (scripts cannot handle the process's signals); returns the last."""
        n = int(signalnum)
        if n not in valid:
            raise ValueError("signal number out of range")
        if not callable(handler) and handler not in (_signal.SIG_DFL, _signal.SIG_IGN):
            raise TypeError("signal handler must be signal.SIG_IGN, signal.SIG_DFL, or a callable object")
        old = handlers[n] if n in handlers else default_getsignal(n)
        handlers[n] = handler
        return old

    def recorded_signal(signalnum):
        n = int(signalnum)
        return handlers[n] if n in handlers else default_getsignal(n)

    record_signal.__name__ = record_signal.__qualname__ = "signal"
    recorded_signal.__name__ = recorded_signal.__qualname__ = "getsignal"
    _signal.signal = record_signal
    _signal.getsignal = recorded_signal
    for name in ("raise_signal", "alarm", "setitimer", "pthread_kill"):
        if hasattr(_signal, name):
            setattr(_signal, name, refuse(name))
        if signal_module is not None and hasattr(signal_module, name):
            setattr(signal_module, name, refuse(name))
    del name
    state = {"bridge": None}

    import polyglot

    class WinnowError(Exception):
        """An error reported by Winnow's host API: bad input, a missing file, a model that failed to load."""

    # named WinnowError in tracebacks and type(e).__qualname__, not __winnow_prelude.<locals>.WinnowError
    WinnowError.__module__ = "builtins"
    WinnowError.__qualname__ = "WinnowError"
    builtins.WinnowError = WinnowError

    class Winnow:
        """The winnow object's Python side: winnow.WinnowError is the class of Winnow's errors."""

        WinnowError = WinnowError

    class Printable:
        """A Winnow host object's str() and repr(): its own text (a table for results, rankings, runs and metrics)."""

        def __str__(self):
            return self.toString()

        def __repr__(self):
            return self.toString()

    Winnow.__module__ = Printable.__module__ = "builtins"
    Winnow.__qualname__ = Winnow.__name__ = "Winnow"
    Printable.__qualname__ = Printable.__name__ = "Printable"

    def display(value, mime=None):
        """Shows a value as a rich output: display(obj), display('<b>hi</b>', 'text/html'), display(png_bytes, 'image/png')."""
        if state["bridge"] is None:
            raise RuntimeError("display() is not available outside a cell")
        if isinstance(value, (bytes, bytearray)):
            import base64

            value = base64.b64encode(bytes(value)).decode("ascii")
            if mime is None:
                raise ValueError("display(bytes) needs a MIME type, e.g. display(data, 'image/png')")
            state["bridge"].displayBase64(value, mime)
            return
        state["bridge"].display(value, mime)

    builtins.display = display

    def tolist(view):
        """Copies a Winnow sequence view (tensor values, attention rows) into a Python list."""
        return list(view)

    builtins.tolist = tolist

    reprs = (
        ("_repr_html_", "text/html"),
        ("_repr_markdown_", "text/markdown"),
        ("_repr_svg_", "image/svg+xml"),
        ("_repr_png_", "image/png"),
        ("_repr_jpeg_", "image/jpeg"),
        ("_repr_json_", "application/json"),
    )

    def render(value):
        if value is None:
            return None
        bundle = {}
        for method, mime in reprs:
            f = getattr(type(value), method, None)
            if f is None:
                continue
            r = f(value)
            if r is None:
                continue
            if isinstance(r, (bytes, bytearray)):
                import base64

                r = base64.b64encode(bytes(r)).decode("ascii")
            elif mime == "application/json" and not isinstance(r, str):
                import json

                r = json.dumps(r)
            bundle[mime] = str(r)
        bundle["text/plain"] = repr(value)
        return bundle

    def raise_(kind, message):
        raise WinnowError(message)

    def attach(bridge, winnow, *host_types):
        state["bridge"] = bridge
        if host_types and not state.get("typed"):
            # the classes are registered once per context (a context may serve several sessions)
            polyglot.register_interop_type(host_types[0], Winnow)
            for t in host_types[1:]:
                polyglot.register_interop_type(t, Printable)
            state["typed"] = True
        builtins.winnow = winnow

    # cells' sources for tracebacks: kept here until linecache is loaded (by describe below, or by a script), then in
    # linecache's own cache, where traceback and warnings look them up
    pending = {}

    def to_linecache():
        linecache = sys.modules.get("linecache")
        if linecache is not None and pending:
            linecache.cache.update(pending)
            pending.clear()

    def register(name, code):
        pending[name] = (len(code), None, code.splitlines(True), name)
        to_linecache()

    def flush():
        for s in (sys.stdout, sys.stderr):
            try:
                s.flush()
            except Exception:
                pass

    def describe(exc, source_name):
        import linecache  # noqa: F401 (loaded for traceback's source lines)
        import traceback

        to_linecache()
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != prelude_file]
        own = [f for f in frames if f.filename == source_name]
        text = ""
        if frames:
            text = "Traceback (most recent call last):\n" + "".join(traceback.StackSummary.from_list(frames).format())
        text += "".join(traceback.format_exception_only(type(exc), exc))
        where = own or frames
        file, line = (where[-1].filename, where[-1].lineno) if where else (None, -1)
        if isinstance(exc, SyntaxError):
            file, line = exc.filename, exc.lineno or -1
        message = exc.msg if isinstance(exc, SyntaxError) else str(exc)
        return (type(exc).__name__, message, file, -1 if line is None else line, text)

    return (render, raise_, attach, register, flush, describe)
