// Winnow's JavaScript prelude: evaluated once per context before any cell (source name "<winnow-prelude>").
// It defines the global display(value, mime?) and returns the helpers the host calls; the `winnow` object is attached
// when a session takes the context.
(function () {
  'use strict';
  let bridge = null;

  function display(value, mime) {
    if (bridge === null) {
      throw new Error('display() is not available outside a cell');
    }
    bridge.display(value, mime === undefined ? null : mime);
  }
  Object.defineProperty(globalThis, 'display', { value: display, writable: false, enumerable: false });

  function isPlainData(v) {
    if (Array.isArray(v)) {
      return true;
    }
    if (v === null || typeof v !== 'object') {
      return false;
    }
    const proto = Object.getPrototypeOf(v);
    return proto === Object.prototype || proto === null;
  }

  // Returns {mime: text} for a value, or null for undefined/null; text/plain is filled in by the host when absent.
  function render(value) {
    if (value === undefined || value === null) {
      return null;
    }
    const bundle = {};
    if (typeof value === 'string') {
      bundle['text/plain'] = value;
    } else if (isPlainData(value)) {
      try {
        const json = JSON.stringify(value);
        if (json !== undefined) {
          bundle['application/json'] = json;
          bundle['text/plain'] = JSON.stringify(value, null, 2);
        }
      } catch (e) {
        // cyclic or BigInt: fall back to the host's text form
      }
    }
    return bundle;
  }

  function raise(type, message) {
    const e = new Error(message);
    e.name = type;
    throw e;
  }

  function attach(b, winnow) {
    bridge = b;
    Object.defineProperty(globalThis, 'winnow', { value: winnow, writable: false, enumerable: false, configurable: true });
  }

  function stack(e) {
    if (e instanceof Error && typeof e.stack === 'string') {
      return e.stack.split('\n').filter((l) => l.indexOf('<winnow-prelude>') < 0).join('\n');
    }
    return null;
  }

  return { render, raise, attach, stack };
})();
