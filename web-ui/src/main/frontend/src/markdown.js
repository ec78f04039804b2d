// Markdown cells and text/markdown outputs: CommonMark + GFM tables and strikethrough (markdown-it), math ($...$ and
// $$...$$, KaTeX), images from the cell's attachments (attachment:NAME) and data: URLs, and raw HTML, all passed
// through DOMPurify: no script of a notebook runs in the page (no <script>, no event handler attributes, no
// javascript: URLs, no <style>, forms, frames or embedded objects). Relative image paths (PNG, JPEG, GIF, WebP) load
// through the server's image route (inside the notebook directory only); the page's policy (img-src 'self' data:)
// keeps images from reaching the network: any other image shows as its alt text and a note.
import MarkdownIt from 'markdown-it';
import katexPlugin from '@vscode/markdown-it-katex';
import DOMPurify from 'dompurify';

const md = new MarkdownIt({ html: true, linkify: true, typographer: false });
md.use(katexPlugin.default || katexPlugin, { throwOnError: false, trust: false, strict: 'ignore', enableMathInlineInHtml: false });

export function escapeHtml(s) {
  return s.replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

// the attachments of the cell being rendered ({NAME: {MIME: base64}}); set for the duration of one sanitize call
let currentAttachments = null;
const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/svg+xml'];

function attachmentUrl(name) {
  const bundle = currentAttachments && Object.prototype.hasOwnProperty.call(currentAttachments, name) ? currentAttachments[name] : null;
  if (!bundle) return null;
  for (const t of IMAGE_TYPES) {
    if (bundle[t] == null) continue;
    const v = Array.isArray(bundle[t]) ? bundle[t].join('') : String(bundle[t]);
    // nbformat keeps SVG as text, the binary types as base64
    return t === 'image/svg+xml' ? 'data:image/svg+xml;base64,' + btoa(unescape(encodeURIComponent(v))) : `data:${t};base64,${v.replace(/\s+/g, '')}`;
  }
  return null;
}

// relative image paths -> URL of the server's image route (set by the page: it knows the notebook's folder)
let imageUrl = () => null;
/** Sets how a relative image path becomes a URL: f(path) returns the URL, or null when it cannot be served. */
export function setImageResolver(f) { imageUrl = f; }
const RASTER = /\.(png|jpe?g|gif|webp)$/i;

const DATA_IMAGE = /^data:image\/(png|jpe?g|gif|webp|svg\+xml)[;,]/i;
const PURIFY = {
  FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'frame', 'object', 'embed', 'link', 'meta', 'base'],
  FORBID_ATTR: ['srcset', 'action', 'formaction', 'ping'],
  ALLOW_DATA_ATTR: false,
  // DOMPurify's default URI rule plus attachment: (resolved below, before anything can load it)
  ALLOWED_URI_REGEXP: /^(?:(?:https?|mailto|attachment):|[^a-z]|[a-z+.\-]+(?:[^a-z+.\-:]|$))/i,
  RETURN_DOM: true, // DOMPurify's own inert document: nothing in it loads before the images are checked
};

function finish(body) {
  const doc = body.ownerDocument;
  for (const a of body.querySelectorAll('a[href]')) {
    const href = a.getAttribute('href');
    if (/^(https?:|mailto:)/i.test(href)) { a.setAttribute('target', '_blank'); a.setAttribute('rel', 'noopener noreferrer'); }
    else if (!href.startsWith('#')) a.removeAttribute('href');
  }
  for (const img of body.querySelectorAll('img')) {
    const src = img.getAttribute('src') || '';
    const alt = img.getAttribute('alt') || '';
    let url = null, why = 'only attachments, data: URLs and image files in the notebook directory are shown';
    if (src.startsWith('attachment:')) {
      const name = decodeURIComponent(src.slice('attachment:'.length));
      url = attachmentUrl(name);
      why = `no image attachment named ${name} in this cell`;
    } else if (DATA_IMAGE.test(src)) url = src;
    else if (src && !/^[a-z][a-z0-9+.-]*:|^\/\//i.test(src)) {
      const path = src.split(/[?#]/)[0];
      if (RASTER.test(path)) {
        url = imageUrl(path);
        why = `${path} is outside the notebook directory`;
      } else why = `${path}: only PNG, JPEG, GIF and WebP files are served`;
    }
    if (url) { img.setAttribute('src', url); continue; }
    const s = doc.createElement('span');
    s.className = 'image-missing';
    s.textContent = `[image${alt ? ' ' + alt : ''}: ${why}]`;
    img.replaceWith(s);
  }
  return body.innerHTML;
}

/** Sanitised HTML for markdown source; `attachments` is the cell's nbformat attachments object (optional). */
export function renderMarkdown(src, attachments) {
  currentAttachments = attachments || null;
  try {
    return finish(DOMPurify.sanitize(md.render(src), PURIFY));
  } finally {
    currentAttachments = null;
  }
}
