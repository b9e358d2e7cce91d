#!/usr/bin/env python3
"""Checks every relative link in the repository's Markdown files (and README/docs citations in
sources): the file exists, and a #fragment names a heading of that file (GitHub's anchors)."""
import os, re, sys, subprocess
root = subprocess.run(['git', 'rev-parse', '--show-toplevel'], capture_output=True, text=True).stdout.strip()
os.chdir(root)
def anchor(h):
    h = re.sub(r'<[^>]+>', '', h).strip().lower()
    h = re.sub(r'[^\w\- ]', '', h)
    return h.replace(' ', '-')
def anchors(path):
    out, seen, in_code = set(), {}, False
    for line in open(path, encoding='utf-8'):
        if line.startswith('```'):
            in_code = not in_code
        if in_code:
            continue
        m = re.match(r'^#{1,6} (.*?)\s*$', line)
        if m:
            a = anchor(m.group(1)); n = seen.get(a, 0); seen[a] = n + 1
            out.add(a if n == 0 else f'{a}-{n}')
    return out
files = subprocess.run(['git', 'ls-files', '*.md'], capture_output=True, text=True).stdout.split()
files = [f for f in files if 'node_modules' not in f and os.path.exists(f)]
bad, count = [], 0
for f in files:
    text = open(f, encoding='utf-8').read()
    text = re.sub(r'```.*?```', '', text, flags=re.S)          # no links in code blocks
    text = re.sub(r'`[^`\n]*`', '', text)                        # nor in inline code
    for m in re.finditer(r'!?\[[^\]]*\]\(([^)\s]+)\)', text):
        target = m.group(1)
        if re.match(r'^[a-z]+:', target):                       # http:, https:, mailto:
            continue
        count += 1
        path, _, frag = target.partition('#')
        dest = os.path.normpath(os.path.join(os.path.dirname(f), path)) if path else f
        if not os.path.exists(dest):
            bad.append(f'{f}: {target}: no file {dest}'); continue
        if frag and dest.endswith('.md') and frag not in anchors(dest):
            bad.append(f'{f}: {target}: no heading #{frag} in {dest}')
print(f'{count} relative links in {len(files)} Markdown files checked')
for b in bad:
    print('BROKEN', b)
sys.exit(1 if bad else 0)
