"""Reads a Python launch file's syntax tree (without running it: launch and launch_ros are not
installable here) and prints, as JSON, the arguments it declares and the nodes it launches, with
substitutions written in the XML syntax ($(var X), $(find-pkg-share P)).

Strict on purpose: a call, keyword or import it does not know makes it fail, so that the
comparison with the XML (launch_py.rs) cannot pass over something it did not understand.

usage: python3 launch_py_ast.py FILE.launch.py
"""

import ast
import json
import sys

# Where each name must be imported from, and the keywords the real API accepts.
API = {
    'LaunchDescription': ('launch', set()),
    'DeclareLaunchArgument': ('launch.actions', {'default_value', 'description', 'choices'}),
    'GroupAction': ('launch.actions', {'scoped'}),
    'LaunchConfiguration': ('launch.substitutions', set()),
    'PathJoinSubstitution': ('launch.substitutions', set()),
    'Node': ('launch_ros.actions', {
        'package', 'executable', 'name', 'namespace', 'output', 'parameters', 'remappings',
        'arguments', 'ros_arguments'}),
    'SetRemap': ('launch_ros.actions', {'src', 'dst'}),
    'FindPackageShare': ('launch_ros.substitutions', set()),
}


class Unsupported(Exception):
    pass


def fail(node, what):
    raise Unsupported(f'line {getattr(node, "lineno", "?")}: {what}')


def text(value, node):
    if not isinstance(value, str):
        fail(node, f'expected text, got {value!r}')
    return value


def evaluate(node):
    """The value of an expression: text (substitutions in XML syntax), list, dict or action."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.List):
        return [evaluate(item) for item in node.elts]
    if isinstance(node, ast.Dict):
        return {text(evaluate(k), k): evaluate(v) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in API:
        name = node.func.id
        allowed = API[name][1]
        kwargs = {}
        for kw in node.keywords:
            if kw.arg not in allowed:
                fail(node, f'{name}() has no keyword {kw.arg!r}')
            kwargs[kw.arg] = evaluate(kw.value)
        args = [evaluate(a) for a in node.args]
        return call(name, args, kwargs, node)
    fail(node, f'unsupported expression {ast.dump(node)[:80]}')


def call(name, args, kwargs, node):
    if name == 'LaunchConfiguration':
        return f'$(var {text(args[0], node)})'
    if name == 'FindPackageShare':
        return f'$(find-pkg-share {text(args[0], node)})'
    if name == 'PathJoinSubstitution':
        return '/'.join(text(part, node) for part in args[0])
    if name == 'LaunchDescription':
        return {'action': 'group', 'actions': args[0] if args else []}
    if name == 'GroupAction':
        if kwargs.get('scoped', True) is not True:
            fail(node, 'only scoped groups are compared')
        return {'action': 'group', 'actions': args[0]}
    if name == 'DeclareLaunchArgument':
        return {'action': 'arg', 'name': text(args[0], node), 'default': kwargs.get('default_value')}
    if name == 'SetRemap':
        return {'action': 'set_remap', 'from': kwargs['src'], 'to': kwargs['dst']}
    if name == 'Node':
        return {'action': 'node', 'line': node.lineno, **kwargs}
    fail(node, f'unsupported call {name}')


def run(action, arguments, remaps, nodes):
    """Walks the actions as launch would: groups scope the remaps set in them."""
    kind = action.get('action')
    if kind == 'group':
        inner = list(remaps)
        for child in action['actions']:
            run(child, arguments, inner, nodes)
    elif kind == 'arg':
        arguments[action['name']] = action['default']
    elif kind == 'set_remap':
        remaps.append({'from': action['from'], 'to': action['to']})
    elif kind == 'node':
        parameters = []
        for entry in action.get('parameters', []):
            if isinstance(entry, str):
                parameters.append({'kind': 'file', 'path': entry})
            else:
                for name, value in entry.items():
                    parameters.append({'kind': 'value', 'name': name, 'value': value})
        own = [{'from': a, 'to': b} for a, b in action.get('remappings', [])]
        nodes.append({
            'package': action['package'],
            'executable': action['executable'],
            'name': action.get('name'),
            'namespace': action.get('namespace'),
            'output': action.get('output'),
            'parameters': parameters,
            'remappings': remaps + own,
            'args': action.get('arguments', []),
            'ros_args': action.get('ros_arguments', []),
        })


def check_imports(tree):
    imported = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                imported[alias.asname or alias.name] = node.module
    for name, (module, _) in API.items():
        if name in imported and imported[name] != module:
            raise Unsupported(f'{name} is imported from {imported[name]}, not {module}')
    return imported


def main(path):
    tree = ast.parse(open(path, encoding='utf-8').read(), filename=path)
    imported = check_imports(tree)
    used = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    missing = sorted(n for n in used if n in API and n not in imported)
    if missing:
        raise Unsupported(f'used but not imported: {missing}')
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    generate = next((f for f in functions if f.name == 'generate_launch_description'), None)
    if generate is None:
        raise Unsupported('no generate_launch_description()')
    returns = [s for s in generate.body if isinstance(s, ast.Return)]
    others = [s for s in generate.body if not isinstance(s, (ast.Return, ast.Expr))]
    if len(returns) != 1 or others:
        raise Unsupported('generate_launch_description() must be a single return statement')
    arguments, nodes = {}, []
    run(evaluate(returns[0].value), arguments, [], nodes)
    json.dump({'arguments': arguments, 'nodes': nodes}, sys.stdout, indent=1)


if __name__ == '__main__':
    try:
        main(sys.argv[1])
    except Unsupported as e:
        print(f'{sys.argv[1]}: {e}', file=sys.stderr)
        sys.exit(2)
