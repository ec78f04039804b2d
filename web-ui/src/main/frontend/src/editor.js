// The cells' code editor: CodeMirror 6 with JavaScript, Python or Markdown highlighting, bracket matching and closing,
// undo history, and completion of the `winnow` API's names (the list comes from the server, which reads it from the
// scripting host's own class, so it cannot drift from what cells can call).
import { EditorView, keymap, drawSelection, highlightActiveLine, placeholder } from '@codemirror/view';
import { EditorState, Compartment, Prec } from '@codemirror/state';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { syntaxHighlighting, defaultHighlightStyle, bracketMatching, indentOnInput, indentUnit } from '@codemirror/language';
import { autocompletion, completionStatus, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import { javascript } from '@codemirror/lang-javascript';
import { python } from '@codemirror/lang-python';
import { markdown } from '@codemirror/lang-markdown';

let apiNames = [];
let hostTypes = {};
let otherText = () => '';
/**
 * Sets what is completed: `names` after `winnow.` ([{name, detail}]; a detail ends in `→ Type` when the method
 * returns a host object) and `types` (Type -> [{name, detail}]) after a variable assigned from such a call.
 */
export function setApiNames(names, types) {
  apiNames = Array.isArray(names) ? names : [];
  hostTypes = types && typeof types === 'object' ? types : {};
}
/** Sets where the other cells' text comes from (variables assigned there are known too). */
export function setNotebookText(f) { otherText = f; }

const resultType = detail => { const m = /→\s*(\w+)\s*$/.exec(detail || ''); return m ? m[1] : null; };
const membersOf = type => type === 'winnow' ? apiNames : (hostTypes[type] || null);

// the host type of a variable: `name = [await] receiver.method(` anywhere in the text, the receiver being winnow or a
// variable of a known type (a few levels deep); the last such assignment wins
function typeOf(name, text, depth = 0) {
  if (name === 'winnow') return 'winnow';
  if (depth > 4) return null;
  const re = new RegExp(`(?:^|[^\\w.$])${name.replace(/\$/g, '\\$')}\\s*=\\s*(?:await\\s+)?([A-Za-z_$][\\w$]*)\\s*\\.\\s*([A-Za-z_$][\\w$]*)\\s*\\(`, 'g');
  let found = null;
  for (const m of text.matchAll(re)) found = m;
  if (!found) return null;
  const receiver = typeOf(found[1], text, depth + 1);
  const members = receiver && membersOf(receiver);
  const member = members && members.find(x => x.name === found[2]);
  return member ? resultType(member.detail) : null;
}

// completes `winnow.NAME` and `variable.NAME` for variables holding Winnow's objects (and nothing else: no popup while
// typing other code, so Enter always does what it says)
function winnowCompletions(context) {
  const m = context.matchBefore(/[A-Za-z_$][\w$]*\.[A-Za-z_]*$/);
  if (!m) return null;
  const dot = m.text.indexOf('.');
  const variable = m.text.slice(0, dot);
  if (m.from > 0 && /[\w$.]/.test(context.state.sliceDoc(m.from - 1, m.from))) return null;
  const from = m.from + dot + 1;
  if (from === m.to && !context.explicit && context.state.sliceDoc(m.to - 1, m.to) !== '.') return null;
  const type = typeOf(variable, otherText() + '\n' + context.state.doc.toString());
  const members = type && membersOf(type);
  if (!members || !members.length) return null;
  return {
    from,
    options: members.map(n => ({ label: n.name, detail: n.detail, type: 'method', apply: n.name })),
    validFor: /^[A-Za-z_]*$/,
  };
}

function languageSupport(lang) {
  if (lang === 'python') return python();
  if (lang === 'markdown') return markdown();
  if (lang === 'raw') return [];
  return javascript();
}

const theme = EditorView.theme({
  '&': { fontSize: '.9rem', border: '1px solid var(--border)', borderRadius: '4px', background: '#f8f9fb' },
  '&.cm-focused': { outline: '2px solid #bcd3fb', background: '#fff' },
  '.cm-content': { fontFamily: 'ui-monospace, monospace', padding: '.35rem 0', minHeight: '1.4rem' },
  '.cm-scroller': { fontFamily: 'ui-monospace, monospace', lineHeight: '1.4' },
  '.cm-line': { padding: '0 4.5rem 0 .5rem' },
  '&:not(.cm-focused) .cm-activeLine': { backgroundColor: 'transparent' },
});

/**
 * A CodeMirror editor in `parent`.
 * opts: { doc, language ('js' | 'python' | 'markdown' | 'raw'), onChange(text), onFocus(), keys: { 'Shift-Enter': f, ... } }
 * Returns { view, setLanguage(lang), focus(), text() }.
 */
export function createEditor(parent, opts) {
  const lang = new Compartment();
  // the notebook's own keys first (Shift-Enter runs instead of inserting a line; Escape leaves the editor)
  // (Escape first closes an open completion popup; a query still pending while typing does not hold Escape back)
  const own = Object.entries(opts.keys || {}).map(([key, f]) => ({
    key, run: v => (key === 'Escape' && completionStatus(v.state) === 'active') ? false : (f(), true),
  }));
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: opts.doc || '',
      extensions: [
        Prec.highest(keymap.of(own)),
        history(), drawSelection(), indentOnInput(), bracketMatching(), closeBrackets(), highlightActiveLine(),
        indentUnit.of('  '), EditorState.tabSize.of(2),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        autocompletion({ override: [winnowCompletions], activateOnTyping: true, icons: false }),
        keymap.of([...closeBracketsKeymap, ...completionKeymap, ...historyKeymap, indentWithTab, ...defaultKeymap]),
        lang.of(languageSupport(opts.language)),
        EditorView.lineWrapping,
        theme,
        opts.placeholder ? placeholder(opts.placeholder) : [],
        EditorView.updateListener.of(u => {
          if (u.docChanged && opts.onChange) opts.onChange(u.state.doc.toString());
          if (u.focusChanged && u.view.hasFocus && opts.onFocus) opts.onFocus();
        }),
      ],
    }),
  });
  return {
    view,
    setLanguage: l => view.dispatch({ effects: lang.reconfigure(languageSupport(l)) }),
    focus: () => view.focus(),
    text: () => view.state.doc.toString(),
    setText: t => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: t } }),
  };
}
