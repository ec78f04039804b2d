#!/usr/bin/env python3
"""BlockRank's evaluation prompt, token layout, positions, mask and signal rows, written from the rules of the paper's
reference code (github.com/nilesh2797/BlockRank), independently of Winnow, for BlockRankReferenceLayoutTest.

The rules, as read in the reference repository:
  src/blockrank/utils.py   format_ranking_prompt: the instruction "You will be given a query ...", then
                           "\\nQuery: {q}\\n\\nDocuments:"; documents "ID: {i} | CONTENT: {text} | END ID: {i}" with i
                           from 0 and the text stripped; a closing section "\\n====== Now let's start! ======\\n..."
                           restating the query; the parts joined with a separator.
                           create_conversation_format: the assistant's turn "Final Answer: " + separator + "[" when
                           no answer is given (evaluation).
  src/blockrank/dataset.py load_icr_dataset_hf: a document's text is "{title} {text}" stripped; with BlockRank the
                           separator is a marker; _block_tokenize_batch renders the chat template (the final assistant
                           message continued), splits the text at the marker, prefixes every segment but the first
                           and the last with "\\n", and tokenizes every segment on its own without special tokens
                           added.
                           block_icr_collate_fn: the last segment (the completion, "[") joins the block before it;
                           every block is cut to max_block_length tokens and padded to a common length, a multiple of
                           16 (pads on the left, as train.py sets the tokenizer); positions are the cumulative count
                           of real tokens in each block minus one, plus the first block's length for the document
                           blocks and plus 16384 for the last block.
  src/blockrank/blockrank_std_attention.py: block 0 attends causally to itself; blocks 1..M-2 to block 0 and causally
                           to themselves; the last block to all blocks and causally to itself; pads nowhere.
  src/blockrank/losses.py  compute_auxiliary_attention_loss: the signal rows are the first completion token of the last
                           block (the first label that is not -100: "[") and the token before it.

Usage:
  reference_layout.py segments < {"query", "documents": [{"title", "text"}], "bos", "user_start", "assistant_start"}
      -> {"segments": [text, ...]}   (tokenize each one on its own, special-token text parsed, nothing added)
  reference_layout.py collate < {"segment_tokens": [[id, ...], ...], "max_block_length", "pad_id"}
      -> {"input_ids": [...], "position_ids": [...], "mask": ["0101...", ...], "signal": [i, j]}
         over the real tokens only (pads dropped), in prompt order.
"""
import json
import sys

SEP = "<<end_of_block_prompt_segment>>"
INSTRUCTION = ("You will be given a query and a list of documents. Each document will be formatted as ID: <id> | "
               "CONTENT: <content> | END ID: <id>. You need to read carefully and understand all of them and your "
               "goal is to find all document(s) from the list that can help answer the query.")


def segments(req):
    query = req["query"]
    docs = [f'{d.get("title", "")} {d.get("text", "")}'.strip() for d in req["documents"]]
    parts = [f"{INSTRUCTION}\nQuery: {query}\n\nDocuments:"]
    for i, text in enumerate(docs):
        parts.append(f"ID: {i} | CONTENT: {text.strip()} | END ID: {i}")
    parts.append("\n====== Now let's start! ======\n"
                 "Which document is most relevant to answer the query? Print out the ID of the document.\n"
                 f"Query: {query}\n"
                 "The following document(s) can help answer the query:")
    user = SEP.join(parts)
    assistant = f"Final Answer: {SEP}["
    # the chat template, rendered with the final assistant message continued (no end of turn after it)
    rendered = req.get("bos", "") + req["user_start"] + user + req["assistant_start"] + assistant
    texts = rendered.split(SEP)
    n = len(texts)
    return {"segments": [f"\n{t}" if 0 < i < n - 1 else t for i, t in enumerate(texts)]}


def collate(req):
    seg = [list(s) for s in req["segment_tokens"]]
    max_len = int(req["max_block_length"])
    pad = int(req["pad_id"])
    # the completion segment joins the last prompt segment; remember where it starts (the "[")
    last_prompt_len = len(seg[-2])
    blocks = seg[:-2] + [seg[-2] + seg[-1]]
    m = len(blocks)
    h = min(max(len(b) for b in blocks), max_len)
    h = (h + 15) // 16 * 16
    padded = []
    valid = []
    for b in blocks:
        b = b[:max_len]
        padded.append([pad] * (h - len(b)) + b)
        valid.append([False] * (h - len(b)) + [True] * len(b))
    # positions: cumulative count of real tokens per block
    pos = []
    for k in range(m):
        c = 0
        row = []
        for t in range(h):
            c += 1 if valid[k][t] else 0
            row.append(c)
        pos.append(row)
    first_max = max(pos[0])
    for k in range(1, m - 1):
        pos[k] = [p + first_max for p in pos[k]]
    pos[m - 1] = [p + 16384 for p in pos[m - 1]]
    pos = [[max(p - 1, 0) if valid[k][t] else 0 for t, p in enumerate(pos[k])] for k in range(m)]

    def allowed(bi, ti, bj, tj):
        if not (valid[bi][ti] and valid[bj][tj]):
            return False
        if bi == bj:
            return tj <= ti
        if bj == 0:
            return True
        return bi == m - 1
    flat = [(k, t) for k in range(m) for t in range(h) if valid[k][t]]
    mask = ["".join("1" if allowed(bi, ti, bj, tj) else "0" for (bj, tj) in flat) for (bi, ti) in flat]
    # labels of the last block: -100 up to the end of its prompt part (pads included on the left)
    last_pad = h - len(blocks[-1][:max_len])
    bracket_slot = last_pad + last_prompt_len
    bracket = flat.index((m - 1, bracket_slot))
    return {
        "input_ids": [padded[k][t] for (k, t) in flat],
        "position_ids": [pos[k][t] for (k, t) in flat],
        "mask": mask,
        "signal": [bracket - 1, bracket],
    }


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    req = json.load(sys.stdin)
    if mode == "segments":
        out = segments(req)
    elif mode == "collate":
        out = collate(req)
    else:
        raise SystemExit("usage: reference_layout.py segments|collate < request.json")
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
