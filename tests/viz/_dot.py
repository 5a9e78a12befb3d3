"""A small parser for the DOT text ``draw_graph`` emits (nodes, edges, nested clusters)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from autograd_lite.viz.style import label_text

_ID = r'(?:"(?:[^"\\]|\\.)*"|[A-Za-z_0-9.]+)'


def _unquote(s: str) -> str:
    if s.startswith('"') and s.endswith('"'):
        return s[1:-1].replace('\\"', '"')
    return s


def parse_attrs(s: str) -> dict:
    """``key=value`` pairs of one ``[...]`` list; values quoted, bare or <HTML>."""
    out = {}
    i = 0
    n = len(s)
    while i < n:
        while i < n and s[i] in " \t,;":
            i += 1
        if i >= n:
            break
        m = re.match(r"[A-Za-z_]+", s[i:])
        assert m, s[i:]
        key = m.group(0)
        i += len(key)
        assert s[i] == "=", (key, s[i:])
        i += 1
        if s[i] == "<":
            depth = 0
            j = i
            while True:
                if s[j] == "<":
                    depth += 1
                elif s[j] == ">":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            out[key] = s[i:j + 1]
            i = j + 1
        elif s[i] == '"':
            j = i + 1
            while s[j] != '"':
                j += 2 if s[j] == "\\" else 1
            out[key] = _unquote(s[i:j + 1])
            i = j + 1
        else:
            m = re.match(r"[^\s,;\]]+", s[i:])
            out[key] = m.group(0)
            i += len(m.group(0))
    return out


@dataclass
class Cluster:
    name: str
    attrs: dict = field(default_factory=dict)
    nodes: list = field(default_factory=list)
    parent: "Cluster | None" = None

    @property
    def label(self) -> str:
        return self.attrs.get("label", "")


@dataclass
class Dot:
    nodes: dict  # id -> attrs (with "text": plain label text, "cluster": Cluster | None)
    edges: list  # (src, dst, attrs)
    clusters: dict  # name -> Cluster
    graph_attrs: dict

    def of_class(self, word: str) -> list:
        return [k for k, a in self.nodes.items() if word in a.get("class", "").split()]

    def text(self, nid: str) -> str:
        return self.nodes[nid]["text"]


_ANON = object()


def parse(source: str) -> Dot:
    nodes: dict = {}
    edges: list = []
    clusters: dict = {}
    graph_attrs: dict = {}
    stack: list = [None]
    for raw in source.splitlines():
        line = raw.strip()
        if not line or line.startswith("//"):
            continue
        if line.startswith("digraph") or line.startswith("strict digraph"):
            continue
        if line == "{":  # an anonymous subgraph (rank=same groups): nothing to record
            stack.append(_ANON)
            continue
        if stack[-1] is _ANON:
            if line == "}":
                stack.pop()
            continue
        m = re.match(r"subgraph (\S+) \{$", line)
        if m:
            c = Cluster(m.group(1), parent=stack[-1])
            clusters[c.name] = c
            stack.append(c)
            continue
        if line == "}":
            stack.pop()
            continue
        m = re.match(rf"({_ID}) -> ({_ID})(?: \[(.*)\])?$", line)
        if m:
            edges.append((_unquote(m.group(1)), _unquote(m.group(2)),
                          parse_attrs(m.group(3) or "")))
            continue
        m = re.match(r"(graph|node|edge) \[(.*)\]$", line)
        if m:
            if m.group(1) == "graph" and stack[-1] is None:
                graph_attrs.update(parse_attrs(m.group(2)))
            elif m.group(1) == "graph":
                stack[-1].attrs.update(parse_attrs(m.group(2)))
            continue
        m = re.match(rf"({_ID}) \[(.*)\]$", line)
        if m:
            nid = _unquote(m.group(1))
            attrs = parse_attrs(m.group(2))
            attrs["text"] = label_text(attrs.get("label", ""))
            attrs["cluster"] = stack[-1]
            nodes[nid] = attrs
            if stack[-1] is not None:
                stack[-1].nodes.append(nid)
            continue
        m = re.match(r"([A-Za-z_]+)=(.*)$", line)
        if m:  # a graph attribute statement
            target = graph_attrs if stack[-1] is None else stack[-1].attrs
            target.update(parse_attrs(line))
            continue
        raise AssertionError(f"unparsed DOT line: {raw!r}")
    return Dot(nodes, edges, clusters, graph_attrs)


def ancestors(c: Cluster | None) -> list:
    out = []
    while c is not None:
        out.append(c)
        c = c.parent
    return out
