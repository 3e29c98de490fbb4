#!/usr/bin/env python3
"""Generate dtwin's ROS 2 type descriptions from idl/*.idl (the same list the
bus compiles with idlc): for every message struct, its complete .msg
definition (ros2msg: the type first, then each dependency after a line of 80
'=' and 'MSG: pkg/Name', as rosbag2 writes MCAP schemas) and its RIHS01
type hash (REP-2011: SHA-256 of the type description JSON without default
values, referenced types sorted by name, separators ', ' and ': ').

Services are described by their request and response messages
(pkg/srv/Name_Request, _Response: what rmw endpoints of services carry); the
rmw request header members the bus's IDL puts in front (dtw_header_*) are not
part of them. A package named X_jazzy is the Iron+ variant of X (the graph
message): it is described under X's name, as ROS publishes it.

Usage: gen_typedesc.py OUT.c IDL...
"""
import hashlib
import json
import re
import sys

# IDL primitive -> (.msg name, type description FieldType id)
PRIM = {
    'boolean': ('bool', 15), 'octet': ('byte', 16), 'char': ('char', 13),
    'int8': ('int8', 2), 'uint8': ('uint8', 3),
    'short': ('int16', 4), 'unsigned short': ('uint16', 5),
    'long': ('int32', 6), 'unsigned long': ('uint32', 7),
    'long long': ('int64', 8), 'unsigned long long': ('uint64', 9),
    'float': ('float32', 10), 'double': ('float64', 11),
    'string': ('string', 17),
}
NESTED, ARRAY, BSEQ, USEQ = 1, 48, 96, 144


def strip_name(n):
    return n[:-1] if n.endswith('_') else n


def parse(files):
    """-> {type_name: {'fields': [...], 'consts': [...]}} in declaration order."""
    types = {}
    consts = {}
    for path in files:
        text = open(path).read()
        text = re.sub(r'//[^\n]*', '', text)
        text = re.sub(r'^\s*#[^\n]*', '', text, flags=re.M)
        toks = re.findall(r'::|[A-Za-z_][A-Za-z0-9_]*|[0-9]+|[{};<>,\[\]=]|-?[0-9.]+|"[^"]*"', text)
        stack = []
        i = 0
        while i < len(toks):
            t = toks[i]
            if t == 'module':
                stack.append(toks[i + 1])
                i += 3  # module NAME {
                continue
            if t == '}':
                if stack and toks[i + 1] == ';':
                    stack.pop()
                i += 2
                continue
            if t == 'const':
                # const TYPE NAME_ = VALUE ;  inside module X_Constants
                j = toks.index(';', i)
                eq = toks.index('=', i)
                cname = strip_name(toks[eq - 1])
                ctype = ' '.join(toks[i + 1:eq - 1])
                value = ''.join(toks[eq + 1:j])
                owner = '/'.join([stack[0], stack[1], strip_name(stack[-1][:-len('_Constants')])])
                consts.setdefault(owner, []).append((PRIM[ctype][0], cname, value))
                i = j + 1
                continue
            if t == 'struct':
                name = strip_name(toks[i + 1])
                full = '/'.join([stack[0], stack[1], name])
                i += 3
                fields = []
                while toks[i] != '}':
                    j = toks.index(';', i)
                    f = parse_field(toks[i:j])
                    if not f['name'].startswith('dtw_header_'):
                        fields.append(f)
                    i = j + 1
                i += 2
                types[full] = {'fields': fields}
                continue
            i += 1
    for k, v in consts.items():
        if k in types:
            types[k]['consts'] = v
    return types


def scoped(toks):
    """a :: b :: dds_ :: X_ -> a/b/X"""
    parts = [x for x in toks if x != '::' and x != 'dds_']
    return '/'.join(parts[:-1] + [strip_name(parts[-1])])


def base_type(toks):
    """-> (kind, prim_or_nested, string_capacity)"""
    s = ' '.join(toks)
    if s in PRIM:
        return ('prim', s, 0)
    if toks[0] == 'string' and len(toks) == 4 and toks[1] == '<':
        return ('prim', 'bstring', int(toks[2]))
    return ('nested', scoped(toks), 0)


def parse_field(toks):
    name = None
    cap = 0
    kind = 0
    if toks[-1] == ']':  # T name_[N]
        cap = int(toks[-2])
        name = toks[-4]
        btoks = toks[:-4]
        kind = ARRAY
    else:
        name = toks[-1]
        btoks = toks[:-1]
    if btoks[0] == 'sequence':
        inner = btoks[2:-1]
        if ',' in inner:
            k = inner.index(',')
            cap = int(inner[k + 1])
            inner = inner[:k]
            kind = BSEQ
        else:
            kind = USEQ
        btoks = inner
    b = base_type(btoks)
    return {'name': strip_name(name), 'kind': kind, 'cap': cap, 'base': b}


def field_type(f):
    kind, what, scap = f['base']
    if kind == 'nested':
        tid, nested = NESTED, what
    elif what == 'bstring':
        tid, nested = 21, ''
    else:
        tid, nested = PRIM[what][1], ''
    return {'type_id': tid + f['kind'], 'capacity': f['cap'] if f['kind'] == ARRAY else 0,
            'string_capacity': scap, 'nested_type_name': nested}


def msg_type(f):
    kind, what, scap = f['base']
    if kind == 'nested':
        pkg, _, name = what.split('/')
        t = pkg + '/' + name
    elif what == 'bstring':
        t = 'string<=%d' % scap
    else:
        t = PRIM[what][0]
    if f['kind'] == ARRAY:
        t += '[%d]' % f['cap']
    elif f['kind'] == BSEQ:
        t += '[<=%d]' % f['cap']
    elif f['kind'] == USEQ:
        t += '[]'
    return t


def deps(types, name):
    out, queue = set(), [name]
    while queue:
        for f in types[queue.pop()]['fields']:
            if f['base'][0] == 'nested' and f['base'][1] not in out:
                out.add(f['base'][1])
                queue.append(f['base'][1])
    return sorted(out)


def ros_name(name):
    """rmw_dds_common_jazzy/msg/Gid -> rmw_dds_common/msg/Gid"""
    pkg, rest = name.split('/', 1)
    return (pkg[:-len('_jazzy')] if pkg.endswith('_jazzy') else pkg) + '/' + rest


def individual(types, name):
    fields = []
    for f in types[name]['fields']:
        ft = field_type(f)
        ft['nested_type_name'] = ros_name(ft['nested_type_name']) if ft['nested_type_name'] else ''
        fields.append({'name': f['name'], 'type': ft})
    return {'type_name': ros_name(name), 'fields': fields}


def rihs01(types, name):
    desc = {'type_description': individual(types, name),
            'referenced_type_descriptions': sorted((individual(types, d) for d in deps(types, name)),
                                                   key=lambda t: t['type_name'])}
    text = json.dumps(desc, skipkeys=False, ensure_ascii=True, check_circular=True,
                      allow_nan=False, indent=None, separators=(', ', ': '), sort_keys=False)
    return 'RIHS01_' + hashlib.sha256(text.encode('utf-8')).hexdigest()


def msg_text(types, name):
    t = types[name]
    lines = ['%s %s=%s' % c for c in t.get('consts', [])]
    lines += ['%s %s' % (msg_type(f), f['name']) for f in t['fields']]
    return '\n'.join(lines) + '\n'


def full_definition(types, name):
    out = msg_text(types, name)
    for d in deps(types, name):
        # 'MSG: pkg/Name', the form field types use: Foxglove's parser
        # (@foxglove/rosmsg) resolves only that one
        pkg, _, name = d.split('/')
        out += '=' * 80 + '\nMSG: ' + pkg + '/' + name + '\n' + msg_text(types, d)
    return out


def c_str(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n"\n    "') + '"'


def main():
    out, idls = sys.argv[1], sys.argv[2:]
    types = parse(sorted(idls))
    names = sorted(n for n in types if n.split('/')[1] in ('msg', 'srv'))
    with open(out, 'w') as f:
        f.write('/* Generated by idl/gen_typedesc.py from the IDL in idl/: do not edit. */\n')
        f.write('#include "dtw/typedesc.h"\n\n')
        f.write('const dtw_typedesc_t dtw__typedescs[] = {\n')
        for n in names:
            f.write('  {"%s",\n    %s,\n    "%s"},\n' % (n, c_str(full_definition(types, n)),
                                                        rihs01(types, n)))
        f.write('};\nconst size_t dtw__n_typedescs = %d;\n' % len(names))


if __name__ == '__main__':
    main()
