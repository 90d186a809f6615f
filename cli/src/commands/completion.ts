/**
 * `ghostguard completion bash|zsh`: a completion script for the shell, generated from the same command table
 * as the help, so a new command or option completes as soon as it is listed here.
 *
 *   source <(ghostguard completion bash)                 # ~/.bashrc
 *   ghostguard completion zsh > "${fpath[1]}/_ghostguard"   # zsh, then compinit
 */

/** Every command, its options, and (bans) its subcommands. */
export const COMPLETION_TABLE: Readonly<Record<string, { options: string[]; subcommands?: string[] }>> = {
  analyze: { options: ['--config', '--json', '--separate', '--top', '--log', '--help'] },
  check: { options: ['--config', '--quiet', '--help'] },
  run: { options: ['--config', '--help'] },
  asterisk: { options: ['--config', '--help'] },
  freeswitch: { options: ['--config', '--help'] },
  bans: {
    options: ['--admin', '--token', '--config', '--reason', '--ttl', '--force', '--limit', '--json', '--help'],
    subcommands: ['list', 'add', 'remove', 'explain', 'import', 'export'],
  },
  firewall: { options: ['--config', '--help'], subcommands: ['flush'] },
  completion: { options: ['--help'], subcommands: ['bash', 'zsh'] },
  help: { options: [] },
};

const TOP_LEVEL = [...Object.keys(COMPLETION_TABLE), '--version', '--help'];

function bashScript(): string {
  const cases = Object.entries(COMPLETION_TABLE)
    .map(([command, { options, subcommands }]) => {
      const words = [...(subcommands ?? []), ...options].join(' ');
      const files = command === 'analyze' || command === 'bans' ? ' files=1;' : '';
      return `    ${command}) words="${command === 'help' ? Object.keys(COMPLETION_TABLE).join(' ') : words}";${files} ;;`;
    })
    .join('\n');
  return `# bash completion for ghostguard (ghostguard completion bash)
_ghostguard() {
  local cur prev words files=0
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${TOP_LEVEL.join(' ')}" -- "$cur") )
    return 0
  fi
  case "$prev" in
    --config|-c) COMPREPLY=( $(compgen -f -- "$cur") ); return 0 ;;
    --log) COMPREPLY=( $(compgen -W "trace debug info warn error fatal silent" -- "$cur") ); return 0 ;;
  esac
  case "\${COMP_WORDS[1]}" in
${cases}
    *) words="" ;;
  esac
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
  if [ "$files" -eq 1 ] && [[ "$cur" != -* ]]; then COMPREPLY+=( $(compgen -f -- "$cur") ); fi
  return 0
}
complete -o filenames -F _ghostguard ghostguard
`;
}

function zshScript(): string {
  const commands = Object.keys(COMPLETION_TABLE)
    .map((c) => `'${c}'`)
    .join(' ');
  const cases = Object.entries(COMPLETION_TABLE)
    .map(([command, { options, subcommands }]) => {
      const opts = options.map((o) => `'${o}${o === '--config' ? '[configuration file]:file:_files' : ''}'`).join(' ');
      const subs = subcommands ? ` '1:${command} command:(${subcommands.join(' ')})'` : '';
      const files = command === 'analyze' ? " '*:recording:_files'" : '';
      return `    (${command}) _arguments ${opts}${subs}${files} ;;`;
    })
    .join('\n');
  return `#compdef ghostguard
# zsh completion for ghostguard (ghostguard completion zsh)
_ghostguard() {
  if (( CURRENT == 2 )); then
    compadd -- ${commands} --version --help
    return
  fi
  local command=\${words[2]}
  shift words
  (( CURRENT-- ))
  case $command in
${cases}
  esac
}
compdef _ghostguard ghostguard
`;
}

export const SHELLS = ['bash', 'zsh'] as const;

/** The completion script for `shell`, or undefined for a shell it does not know. */
export function completionScript(shell: string): string | undefined {
  if (shell === 'bash') return bashScript();
  if (shell === 'zsh') return zshScript();
  return undefined;
}
