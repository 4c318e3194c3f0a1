"""Strongly connected components: Tarjan's algorithm, iterative (no recursion limit), and the
same answer from scipy's compiled implementation for large graphs.

Both return ``labels`` (a component id per node); :func:`components` groups the nodes of the
components with more than one node, which are the only places a cycle can be (edges from a node
to itself are never added).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Any

SCIPY_MIN_EDGES = 20_000  # below this the pure-Python version is as fast (no conversion cost)


def tarjan(n: int, src: Sequence[int], dst: Sequence[int]) -> array:
    """Component label per node (labels are in reverse topological order of the condensation)."""
    # Compressed adjacency: the targets of node a are targets[start[a]:start[a + 1]].
    start = array("l", [0]) * (n + 1)
    for a in src:
        start[a + 1] += 1
    for i in range(n):
        start[i + 1] += start[i]
    fill = array("l", start)
    targets = array("l", [0]) * len(src)
    for a, b in zip(src, dst, strict=True):
        targets[fill[a]] = b
        fill[a] += 1

    unvisited = -1
    index = array("l", [unvisited]) * n
    low = array("l", [0]) * n
    labels = array("l", [-1]) * n
    on_stack = bytearray(n)
    stack: list[int] = []
    counter = 0
    n_labels = 0
    for root in range(n):
        if index[root] != unvisited:
            continue
        # Each frame is [node, next edge position]; the loop below is the recursion.
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = 1
        frames = [[root, start[root]]]
        while frames:
            frame = frames[-1]
            v, pos = frame
            end = start[v + 1]
            descended = False
            while pos < end:
                w = targets[pos]
                pos += 1
                if index[w] == unvisited:
                    frame[1] = pos
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = 1
                    frames.append([w, start[w]])
                    descended = True
                    break
                if on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
            if descended:
                continue
            frames.pop()
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    on_stack[w] = 0
                    labels[w] = n_labels
                    if w == v:
                        break
                n_labels += 1
            if frames:
                u = frames[-1][0]
                if low[v] < low[u]:
                    low[u] = low[v]
    return labels


def scipy_labels(n: int, src: Any, dst: Any) -> Any:
    """Component labels via scipy.sparse.csgraph (C); raises ImportError without scipy."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    s = np.frombuffer(src, dtype=np.int64) if isinstance(src, array) else np.asarray(src)
    d = np.frombuffer(dst, dtype=np.int64) if isinstance(dst, array) else np.asarray(dst)
    m = csr_matrix((np.ones(len(s), dtype=np.int8), (s, d)), shape=(n, n))
    _, labels = connected_components(m, directed=True, connection="strong")
    return labels


def scc_labels(n: int, src: Any, dst: Any) -> Any:
    """Labels from scipy for large graphs when it is installed, else from :func:`tarjan`."""
    if len(src) >= SCIPY_MIN_EDGES:
        try:
            return scipy_labels(n, src, dst)
        except ImportError:  # pragma: no cover - scipy is a dependency
            pass
    return tarjan(n, src, dst)


def components(labels: Any) -> dict[int, list[int]]:
    """Nodes per label, for labels shared by two or more nodes."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        groups: dict[int, list[int]] = {}
        for node, lab in enumerate(labels):
            groups.setdefault(lab, []).append(node)
        return {lab: ns for lab, ns in groups.items() if len(ns) > 1}
    lab = np.asarray(labels)
    if not len(lab):
        return {}
    counts = np.bincount(lab)
    big = np.nonzero(counts > 1)[0]
    if not len(big):
        return {}
    nodes = np.nonzero(np.isin(lab, big))[0]
    out: dict[int, list[int]] = {}
    for node, la in zip(nodes.tolist(), lab[nodes].tolist(), strict=True):
        out.setdefault(la, []).append(node)
    return out
