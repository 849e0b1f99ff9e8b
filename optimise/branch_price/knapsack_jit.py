"""Compiled depth-first search for the pricing knapsacks of ``knapsack.Knapsack`` (numba).

The search is the one ``Knapsack.best`` / ``Knapsack.enumerate`` describe — items in ratio
order, the greedy relaxation as the bound, subset-row penalties counted as items are taken, apart
pairs blocking each other, the count window of counted items — written with an explicit stack so
that it compiles. It visits the same
nodes in the same order as the Python version, so results (and node limits) are identical; only
the speed differs (pricing was half the run time of branch and price in Python).

``AVAILABLE`` is False when numba cannot be imported; ``knapsack`` then runs the Python search.
"""
from __future__ import annotations

import numpy as np

try:  # pragma: no cover - exercised by whichever branch the environment has
    from numba import njit

    AVAILABLE = True
except ImportError:  # pragma: no cover
    AVAILABLE = False

    def njit(*args, **kwargs):
        def wrap(f):
            return f
        return wrap if not args or not callable(args[0]) else args[0]


@njit(cache=True, nogil=True)
def _bound(k, cw, m_curve, npos, lo, hi, cumW, cumP, ratio):
    if k >= m_curve:
        return 0.0 if cw >= lo else -np.inf
    Wk = cumW[k]
    lo_r = lo - cw
    if lo_r > cumW[m_curve] - Wk:
        return -np.inf
    x = cumW[max(npos, k)] - Wk
    if x < lo_r:
        x = lo_r
    cap = hi - cw
    if cap < 0 or lo_r > cap:
        return -np.inf
    if x > cap:
        x = cap
    X = Wk + x
    j = np.searchsorted(cumW[k:m_curve + 1], X, side="right") - 1 + k
    if j >= m_curve:
        return cumP[m_curve] - cumP[k]
    return cumP[j] - cumP[k] + (X - cumW[j]) * ratio[j]


@njit(cache=True, nogil=True)
def _search(mode, p, w, ratio, cumW, cumP, m_curve, npos, lo, hi, tol, floor, node_limit, keep, limit,
            has_cuts, cut_ptr, cut_idx, pen, cnt0, has_conf, conf_ptr, conf_idx, has_count, cs, suf, top,
            clo, chi):
    """mode 0: best subsets (profit > floor, improving; the last ``keep`` kept);
    mode 1: every subset with profit >= floor (abort beyond ``limit``).

    ``has_count``: item k counts ``cs[k]``, the chosen counts must sum into [clo, chi]; ``suf[k]``
    is the count of items k.., ``top[k]`` their largest profit (>= 0).

    Returns (status, profits, flat items, offsets, nodes visited): status 1 = complete, 0 = stopped
    (node limit in mode 0, too many subsets in mode 1)."""
    m = p.shape[0]
    fk = np.empty(m + 2, np.int64)
    fcw = np.empty(m + 2, np.int64)
    fcp = np.empty(m + 2, np.float64)
    fcc = np.zeros(m + 2, np.int64)
    fst = np.zeros(m + 2, np.int8)
    ftook = np.zeros(m + 2, np.int8)
    chosen = np.empty(m + 1, np.int64)
    nch = 0
    cnt = cnt0.copy()
    blocked = np.zeros(m, np.int64)
    cap_out = 64
    out_p = np.empty(cap_out, np.float64)
    out_off = np.zeros(cap_out + 1, np.int64)
    flat = np.empty(64 * (m + 1), np.int64)
    nout = 0
    best = floor
    nodes = 0
    status = 1
    # the empty subset
    if lo <= 0 and 0 <= hi and (not has_count or clo <= 0):
        if (mode == 0 and 0.0 > floor + tol) or (mode == 1 and 0.0 >= floor - tol):
            if mode == 0:
                best = 0.0
            out_p[0] = 0.0
            out_off[1] = 0
            nout = 1
    depth = 0
    fk[0] = 0
    fcw[0] = 0
    fcp[0] = 0.0
    fcc[0] = 0
    fst[0] = 0
    while depth >= 0:
        k = fk[depth]
        cw = fcw[depth]
        cp = fcp[depth]
        cc = fcc[depth]
        if fst[depth] == 0:
            nodes += 1
            if mode == 0:
                if nodes > node_limit:
                    status = 0
                    break
                if k >= m or cp + _bound(k, cw, m_curve, npos, lo, hi, cumW, cumP, ratio) <= best + tol:
                    depth -= 1
                    continue
                if has_count and (cc >= chi or cc + suf[k] < clo or cp + (chi - cc) * top[k] <= best + tol):
                    depth -= 1
                    continue
            else:
                if k >= m or cp + _bound(k, cw, m_curve, npos, lo, hi, cumW, cumP, ratio) < floor - tol:
                    depth -= 1
                    continue
                if has_count and (cc >= chi or cc + suf[k] < clo or cp + (chi - cc) * top[k] < floor - tol):
                    depth -= 1
                    continue
            fst[depth] = 1
            if cw + w[k] <= hi and (not has_conf or blocked[k] == 0) and (not has_count or cc + cs[k] <= chi):
                if has_conf:
                    for t in range(conf_ptr[k], conf_ptr[k + 1]):
                        blocked[conf_idx[t]] += 1
                chosen[nch] = k
                nch += 1
                loss = 0.0
                if has_cuts:
                    for t in range(cut_ptr[k], cut_ptr[k + 1]):
                        c = cut_idx[t]
                        cnt[c] += 1
                        if cnt[c] == 2:
                            loss += pen[c]
                ncp = cp + p[k] - loss
                ncw = cw + w[k]
                ncc = cc + cs[k] if has_count else 0
                record = False
                if ncw >= lo and (not has_count or ncc >= clo):
                    if mode == 0 and ncp > best + tol:
                        best = ncp
                        record = True
                    elif mode == 1 and ncp >= floor - tol:
                        record = True
                if record:
                    if nout >= cap_out:
                        if mode == 0:
                            # only the last ``keep`` matter: slide them to the front
                            s0 = nout - keep
                            base = out_off[s0]
                            for r in range(keep):
                                out_p[r] = out_p[s0 + r]
                                a, b = out_off[s0 + r], out_off[s0 + r + 1]
                                flat[a - base:b - base] = flat[a:b].copy()
                                out_off[r + 1] = b - base
                            nout = keep
                        else:
                            cap_out *= 2
                            out_p2 = np.empty(cap_out, np.float64)
                            out_p2[:nout] = out_p[:nout]
                            out_p = out_p2
                            off2 = np.zeros(cap_out + 1, np.int64)
                            off2[:nout + 1] = out_off[:nout + 1]
                            out_off = off2
                    start = out_off[nout]
                    if start + nch > flat.shape[0]:
                        flat2 = np.empty(2 * flat.shape[0] + nch, np.int64)
                        flat2[:start] = flat[:start]
                        flat = flat2
                    flat[start:start + nch] = chosen[:nch]
                    out_p[nout] = ncp
                    out_off[nout + 1] = start + nch
                    nout += 1
                    if mode == 1 and nout > limit:
                        status = 0
                        break
                ftook[depth] = 1
                depth += 1
                fk[depth] = k + 1
                fcw[depth] = ncw
                fcp[depth] = ncp
                fcc[depth] = ncc
                fst[depth] = 0
                continue
            ftook[depth] = 0
        # back from the "take k" branch (or it was impossible): undo it, then the frame becomes
        # the "skip k" branch (nothing is left to do in this frame afterwards)
        if ftook[depth] == 1:
            nch -= 1
            if has_cuts:
                for t in range(cut_ptr[k], cut_ptr[k + 1]):
                    cnt[cut_idx[t]] -= 1
            if has_conf:
                for t in range(conf_ptr[k], conf_ptr[k + 1]):
                    blocked[conf_idx[t]] -= 1
            ftook[depth] = 0
        fk[depth] = k + 1
        fst[depth] = 0
    return status, out_p[:nout].copy(), flat[:out_off[nout]].copy(), out_off[:nout + 1].copy(), nodes


@njit(cache=True, nogil=True)
def relaxation_segments(BT, w, beta, LO, HI):
    """The relaxation bound of every hub (row h of BT: base profits of the items, -inf for
    non-items) for every segment s of a piecewise-affine size cost, where an item's profit is
    BT[h, i] - beta[s] * w[i] and the window is [LO[s, h], HI[s, h]].

    Subtracting beta * w shifts every positive-weight item's ratio by the same -beta, so one sort
    per hub serves all segments: segment s takes the items of ratio > beta[s] (W*), clamps W*
    into its window and reads the greedy curve there. Zero-weight items of positive profit are
    taken in every segment; the others never help."""
    m, n = BT.shape
    K = beta.shape[0]
    out = np.empty((K, m))
    key = np.empty(n)
    sel = np.empty(n, np.int64)
    cw = np.empty(n + 1)
    cp = np.empty(n + 1)
    rs = np.empty(n)
    ks = np.empty(n)
    for h in range(m):
        k = 0
        z = 0.0
        for i in range(n):
            b = BT[h, i]
            if not np.isfinite(b):
                continue
            if w[i] == 0:
                if b > 0:
                    z += b
                continue
            sel[k] = i
            key[k] = -b / w[i]
            k += 1
        order = np.argsort(key[:k])
        cw[0] = 0.0
        cp[0] = 0.0
        for t in range(k):
            i = sel[order[t]]
            ks[t] = key[order[t]]
            rs[t] = -ks[t]
            cw[t + 1] = cw[t] + w[i]
            cp[t + 1] = cp[t] + BT[h, i]
        total = cw[k]
        for s in range(K):
            lo = LO[s, h]
            hi = HI[s, h]
            if lo > total or hi < 0:
                out[s, h] = -np.inf
                continue
            b = beta[s]
            c = np.searchsorted(ks[:k], -b)          # items of ratio > beta
            X = max(cw[c], max(lo, 0.0))
            X = min(min(X, hi), total)
            j = np.searchsorted(cw[:k + 1], X, side="right") - 1
            val = cp[j] - b * cw[j]
            if j < k:
                val += (X - cw[j]) * (rs[j] - b)
            out[s, h] = val + z
    return out


@njit(cache=True, nogil=True)
def _ratio(p, w):
    """Profit per unit weight; +inf / -inf for a weightless item of positive / other profit."""
    if w > 0:
        return p / w
    return np.inf if p > 0 else -np.inf


@njit(cache=True, nogil=True)
def filter_items(ph, w, lo_h, hi_h, need):
    """``pricing.Pricer.candidate_items`` for one hub: (the practices i whose relaxation bound with i
    forced in, p_i + relaxation over all candidates in the window shifted by w_i, exceeds
    ``need``; the number of candidates, those with finite profit ``ph``).

    The relaxation at weight X reads the greedy curve (items by ratio, zero-weight items of
    positive profit first); where zero-weight items make the curve step at one weight, the value
    taken is the highest step, the curve's own value there."""
    n = ph.shape[0]
    cand = np.empty(n, np.int64)
    k = 0
    for i in range(n):
        if np.isfinite(ph[i]):
            cand[k] = i
            k += 1
    if k == 0:
        return cand[:0], 0
    key = np.empty(k)
    useful = np.empty(k, np.bool_)
    for t in range(k):
        i = cand[t]
        key[t] = -_ratio(ph[i], w[i])
        useful[t] = not (w[i] == 0 and ph[i] <= 0)
    order = np.argsort(key, kind="mergesort")
    cw = np.empty(k + 1)
    cp = np.empty(k + 1)
    cw[0] = 0.0
    cp[0] = 0.0
    u = 0
    wstar = 0.0
    for t in range(k):
        j = order[t]
        if not useful[j]:
            continue
        i = cand[j]
        cw[u + 1] = cw[u] + w[i]
        cp[u + 1] = cp[u] + ph[i]
        u += 1
        if key[j] < 0:
            wstar += w[i]
    total = cw[u]
    out = np.empty(k, np.int64)
    c = 0
    threshold = need - 1e-9 * (1.0 + abs(need))
    for t in range(k):
        i = cand[t]
        lo_i = lo_h - w[i]
        hi_i = hi_h - w[i]
        if lo_i > total or hi_i < 0:
            continue
        X = min(min(max(wstar, max(lo_i, 0.0)), hi_i), total)
        j = np.searchsorted(cw[:u + 1], X, side="right") - 1
        val = cp[j]
        if j < u and cw[j + 1] > cw[j]:
            val += (X - cw[j]) * (cp[j + 1] - cp[j]) / (cw[j + 1] - cw[j])
        if ph[i] + val > threshold:
            out[c] = i
            c += 1
    return out[:c], k


@njit(cache=True, nogil=True)
def prepare(p, w, owner, cut_ptr, cut_ids):
    """``knapsack.Knapsack``'s set-up in one pass: items by profit/weight ratio, highest first
    (stable), with prefix sums, and each item's cut list gathered in that order.

    Item k's cuts are ``cut_ids[cut_ptr[o]:cut_ptr[o + 1]]`` with ``o = owner[k]`` (none when ``o``
    is beyond the pointer array). Returns (order, ratio sorted, cumW, cumP, m_curve, npos, sorted
    cut pointer, sorted cut ids)."""
    m = p.shape[0]
    ratio = np.empty(m)
    key = np.empty(m)
    m_curve = m
    npos = 0
    for k in range(m):
        r = _ratio(p[k], w[k])
        ratio[k] = r
        key[k] = -r
        if w[k] == 0 and p[k] <= 0:
            m_curve -= 1
        if r > 0:
            npos += 1
    order = np.argsort(key, kind="mergesort")
    rs = np.empty(m)
    cumW = np.zeros(m_curve + 1, np.int64)
    cumP = np.zeros(m_curve + 1)
    for t in range(m):
        j = order[t]
        rs[t] = ratio[j]
        if t < m_curve:
            cumW[t + 1] = cumW[t] + w[j]
            cumP[t + 1] = cumP[t] + p[j]
    n_own = cut_ptr.shape[0] - 1
    sptr = np.zeros(m + 1, np.int64)
    for t in range(m):
        o = owner[order[t]]
        sptr[t + 1] = sptr[t] + (cut_ptr[o + 1] - cut_ptr[o] if 0 <= o < n_own else 0)
    sids = np.empty(sptr[m], np.int64)
    for t in range(m):
        o = owner[order[t]]
        if 0 <= o < n_own:
            a = cut_ptr[o]
            for q in range(cut_ptr[o + 1] - a):
                sids[sptr[t] + q] = cut_ids[a + q]
    return order, rs, cumW, cumP, m_curve, npos, sptr, sids
