"""`statewright completion bash|zsh|fish`: a shell completion script, made from the command
line's own parser (every command, action, option and choice), so it never drifts from it."""

from __future__ import annotations

import argparse
import shlex
from typing import Any

from .common import EXIT_OK

SHELLS = ("bash", "zsh", "fish")


def add_parsers(commands: Any) -> None:
    completion = commands.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh, fish)",
        description=(
            'Print the completion script of SHELL. bash: add `eval "$(statewright '
            'completion bash)"` to ~/.bashrc; zsh: `eval "$(statewright completion zsh)"` in '
            "~/.zshrc; fish: `statewright completion fish > "
            "~/.config/fish/completions/statewright.fish`."
        ),
    )
    completion.add_argument("shell", choices=SHELLS, metavar="SHELL", help="bash, zsh or fish")
    completion.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from .main import argument_parser

    tree = _tree(argument_parser([]))
    print(_fish(tree) if args.shell == "fish" else _bash(tree, zsh=args.shell == "zsh"), end="")
    return EXIT_OK


#: a command: (help, its options {flag: choices}, its actions {name: (help, options)})
Node = tuple[str, dict[str, list[str]], dict[str, Any]]


def _tree(parser: argparse.ArgumentParser) -> dict[str, Node]:
    """Each command's help, options (with their choices) and sub-actions."""
    found: dict[str, Node] = {}
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
        for name, sub in action.choices.items():
            options, actions = _options(sub), {}
            for inner in sub._actions:
                if isinstance(inner, argparse._SubParsersAction):
                    inner_helps = {c.dest: c.help or "" for c in inner._choices_actions}
                    actions = {
                        n: (inner_helps.get(n, ""), _options(p)) for n, p in inner.choices.items()
                    }
            found[name] = (helps.get(name, ""), options, actions)
    return found


def _options(parser: argparse.ArgumentParser) -> dict[str, list[str]]:
    options: dict[str, list[str]] = {}
    for action in parser._actions:
        for flag in action.option_strings:
            options[flag] = [str(c) for c in action.choices] if action.choices else []
    return options


def _bash(tree: dict[str, Node], *, zsh: bool) -> str:
    lines = []
    if zsh:
        lines += ["autoload -U +X bashcompinit && bashcompinit"]
    lines += [
        "_statewright() {",
        '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
        '    local command="" action="" word',
        '    for word in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do',
        '        case "$word" in -*) ;; *) if [ -z "$command" ]; then command="$word";'
        ' elif [ -z "$action" ]; then action="$word"; fi ;; esac',
        "    done",
        '    local options="" words=""',
        '    case "$command" in',
        f'        "") words={shlex.quote(" ".join(tree))}; options="--help --version --color" ;;',
    ]
    for name, (_, options, actions) in tree.items():
        lines.append(f"        {shlex.quote(name)})")
        if actions:
            lines.append('            case "$action" in')
            lines.append(f'                "") words={shlex.quote(" ".join(actions))} ;;')
            for action, (_, inner) in actions.items():
                lines.append(
                    f"                {shlex.quote(action)}) options={shlex.quote(' '.join(inner))}"
                    + _choices_case(inner, "                    ")
                    + " ;;"
                )
            lines.append("            esac ;;")
        else:
            lines.append(
                f"            options={shlex.quote(' '.join(options))}"
                + _choices_case(options, "            ")
                + " ;;"
            )
    lines += [
        "    esac",
        '    if [ -n "$choices" ]; then',
        '        COMPREPLY=($(compgen -W "$choices" -- "$cur")); return',
        "    fi",
        '    if [[ "$cur" == -* ]]; then',
        '        COMPREPLY=($(compgen -W "$options" -- "$cur"))',
        '    elif [ -n "$words" ]; then',
        '        COMPREPLY=($(compgen -W "$words" -- "$cur"))',
        "    else",
        '        COMPREPLY=($(compgen -f -- "$cur"))',
        "    fi",
        "}",
        "complete -o filenames -F _statewright statewright",
        "",
    ]
    # `choices` is set by the cases above when the previous word is an option with choices
    return "\n".join(lines).replace(
        "_statewright() {\n", '_statewright() {\n    local choices=""\n', 1
    )


def _choices_case(options: dict[str, list[str]], pad: str) -> str:
    """`; case "$prev" in -T) choices="..." ;; esac` for the options that take choices."""
    cases = [
        f'{shlex.quote(flag)}) choices={shlex.quote(" ".join(values))} ;;'
        for flag, values in options.items()
        if values
    ]
    if not cases:
        return ""
    return '; case "$prev" in ' + " ".join(cases) + " esac"


def _fish(tree: dict[str, Node]) -> str:
    lines = ["complete -c statewright -f"]
    names = " ".join(tree)
    for name, (help_text, options, actions) in tree.items():
        lines.append(
            f"complete -c statewright -n 'not __fish_seen_subcommand_from {names}' "
            f"-a {shlex.quote(name)} -d {shlex.quote(help_text)}"
        )
        seen = f"__fish_seen_subcommand_from {name}"
        for action, (action_help, _) in actions.items():
            lines.append(
                f"complete -c statewright -n {shlex.quote(seen)} -a {shlex.quote(action)} "
                f"-d {shlex.quote(action_help)}"
            )
        every = dict(options)
        for _, inner in actions.values():
            every.update(inner)
        for flag, values in every.items():
            if not flag.startswith("--"):
                continue
            choice = f" -x -a {shlex.quote(' '.join(values))}" if values else ""
            lines.append(f"complete -c statewright -n {shlex.quote(seen)} -l {flag[2:]}{choice}")
        lines.append(f"complete -c statewright -n {shlex.quote(seen)} -F")
    return "\n".join(lines) + "\n"
