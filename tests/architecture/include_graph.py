#!/usr/bin/env python3
"""The folders of lib/decant form a layered graph: fails when one folder includes a header of a
folder that, directly or through others, includes it back (a cycle), or when the library
includes an analyzer's header (lib/ knows no analyzer: the list comes in as an argument).

Usage: include_graph.py [SOURCE_DIR] [--print]
  --print  writes the graph (one "folder -> dependencies" line each) and exits 0 without
           checking, for docs/ARCHITECTURE.md and reviews.
"""

import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.MULTILINE)
SOURCES = ('.hpp', '.cpp', '.h', '.in')


def folder_graph(lib):
    """{folder: {folder it includes: first "file:line" that does}} over lib/decant/*/."""
    decant = os.path.join(lib, 'decant')
    folders = sorted(d for d in os.listdir(decant) if os.path.isdir(os.path.join(decant, d)))
    graph = {folder: {} for folder in folders}
    foreign = []
    for folder in folders:
        for dirpath, _, files in os.walk(os.path.join(decant, folder)):
            for name in sorted(files):
                if not name.endswith(SOURCES):
                    continue
                path = os.path.join(dirpath, name)
                text = open(path, encoding='utf-8', errors='replace').read()
                for match in INCLUDE.finditer(text):
                    header = match.group(1)
                    line = text.count('\n', 0, match.start()) + 1
                    where = f'{os.path.relpath(path, os.path.dirname(lib))}:{line}'
                    parts = header.split('/')
                    if parts[0] == 'decant' and len(parts) > 2:
                        target = parts[1]
                        if target != folder and target in graph:
                            graph[folder].setdefault(target, where)
                    elif header == 'registry.hpp' or (len(parts) == 2 and parts[0] in analyzer_dirs(lib)):
                        foreign.append(f'{where}: includes the analyzer header <{header}>')
    return graph, foreign


def analyzer_dirs(lib):
    analyzers = os.path.join(os.path.dirname(lib), 'analyzers')
    if not os.path.isdir(analyzers):
        return set()
    return {d for d in os.listdir(analyzers) if os.path.isdir(os.path.join(analyzers, d))}


def find_cycle(graph):
    """The first cycle found by depth-first search, as a list of folders (first == last)."""
    state = {}
    stack = []

    def visit(node):
        state[node] = 'open'
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 'open':
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 'done'
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def main(argv):
    args = [a for a in argv[1:] if not a.startswith('--')]
    source = args[0] if args else os.path.join(os.path.dirname(__file__), '..', '..')
    lib = os.path.join(os.path.abspath(source), 'lib')
    graph, foreign = folder_graph(lib)
    if '--print' in argv:
        for folder, deps in graph.items():
            print(f'{folder} -> {" ".join(sorted(deps)) or "(nothing)"}')
        return 0
    failed = False
    cycle = find_cycle(graph)
    if cycle:
        failed = True
        print('lib/decant folders include each other in a cycle: ' + ' -> '.join(cycle),
              file=sys.stderr)
        for a, b in zip(cycle, cycle[1:]):
            print(f'  {a} -> {b}: {graph[a][b]}', file=sys.stderr)
        print('Move what both need into a lower folder (as files/ holds the file-set types).',
              file=sys.stderr)
    for line in foreign:
        failed = True
        print(line, file=sys.stderr)
    if foreign:
        print('lib/ knows no analyzer: take the AnalyzerList as an argument.', file=sys.stderr)
    if not failed:
        print(f'{len(graph)} folders of lib/decant, no include cycle')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
