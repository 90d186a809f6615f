import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMAND_HELP, main } from '../main.js';
import { bufferOutput } from '../output.js';
import { COMPLETION_TABLE } from './completion.js';

async function script(shell: string): Promise<{ code: number; text: string }> {
  const out = bufferOutput();
  const code = await main(['completion', shell], out);
  return { code, text: out.stdout.join('\n') };
}

/** What bash offers after `words` (the last one being completed), with the script sourced. */
function bashComplete(file: string, words: string[]): string[] {
  const program = `source ${JSON.stringify(file)}; COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(' ')}); COMP_CWORD=${words.length - 1}; _ghostguard; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['-c', program], { encoding: 'utf8', timeout: 10_000 }).split('\n').filter(Boolean);
}

describe('ghostguard completion', () => {
  it('lists every command the help lists', () => {
    expect(Object.keys(COMPLETION_TABLE).sort()).toEqual(Object.keys(COMMAND_HELP).sort());
  });

  it('completes every option the help of each command names', () => {
    for (const [command, help] of Object.entries(COMMAND_HELP)) {
      const named = new Set(help.match(/--[a-z][a-z-]*/g) ?? []);
      named.delete('--version');
      if (command === 'help') continue;
      for (const option of named) expect(COMPLETION_TABLE[command]?.options, `${command} ${option}`).toContain(option);
    }
  });

  it('gives bash a script that completes commands, bans subcommands, options and log levels', async () => {
    const { code, text } = await script('bash');
    expect(code).toBe(0);
    const file = join(mkdtempSync(join(tmpdir(), 'gg-completion-')), 'ghostguard.bash');
    writeFileSync(file, text);
    execFileSync('bash', ['-n', file], { timeout: 10_000 });
    expect(bashComplete(file, ['ghostguard', 'ba'])).toEqual(['bans']);
    expect(bashComplete(file, ['ghostguard', 'ch'])).toEqual(['check']);
    expect(bashComplete(file, ['ghostguard', 'bans', 'im'])).toEqual(['import']);
    expect(bashComplete(file, ['ghostguard', 'bans', 'add', '--fo'])).toEqual(['--force']);
    expect(bashComplete(file, ['ghostguard', 'analyze', '--log', 'de'])).toEqual(['debug']);
    expect(bashComplete(file, ['ghostguard', '--ver'])).toEqual(['--version']);
  });

  it('gives zsh a compdef script naming every command', async () => {
    const { code, text } = await script('zsh');
    expect(code).toBe(0);
    expect(text.startsWith('#compdef ghostguard')).toBe(true);
    for (const command of Object.keys(COMPLETION_TABLE)) expect(text).toContain(`(${command}) _arguments`);
  });

  it('exits 2 for a shell it does not know', async () => {
    expect((await script('fish')).code).toBe(2);
  });
});
