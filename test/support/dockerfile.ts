// Reads a Dockerfile the way `docker build` does, as far as the image tests need: instructions
// (continuations joined, comments dropped), stages, ENV, COPY with its flags, HEALTHCHECK. And a
// .dockerignore matcher, so a COPY of something the build context leaves out is caught.

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Copy {
  from?: string;
  chown?: string;
  sources: string[];
  dest: string;
}

export interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

export function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i]!;
    if (/^\s*(#|$)/.test(first)) continue;
    const start = i + 1;
    let joined = first;
    // A trailing backslash continues the instruction; comment lines inside it are dropped.
    while (/\\\s*$/.test(joined) && i + 1 < lines.length) {
      joined = joined.replace(/\\\s*$/, ' ');
      i++;
      if (/^\s*#/.test(lines[i]!)) {
        joined += '\\';
        continue;
      }
      joined += lines[i]!;
    }
    const m = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(joined);
    if (m) out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.replace(/\s+/g, ' ').trim(), line: start });
  }
  return out;
}

export function stages(text: string): Stage[] {
  const out: Stage[] = [];
  for (const ins of instructions(text)) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args)!;
      out.push({ image: m[1]!, name: m[2], instructions: [] });
    } else out.at(-1)?.instructions.push(ins);
  }
  return out;
}

/** `ENV a=b c="d e"` (and the old `ENV a b`) -> a map; later stages see what earlier ENV lines set. */
export function env(stage: Stage): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const ins of stage.instructions.filter((i) => i.keyword === 'ENV')) {
    if (!ins.args.includes('=')) {
      const [k, ...v] = ins.args.split(' ');
      vars[k!] = v.join(' ');
      continue;
    }
    for (const m of ins.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|\S*)/g)) vars[m[1]!] = m[3] ?? m[2]!;
  }
  return vars;
}

export function copies(stage: Stage): Copy[] {
  return stage.instructions
    .filter((i) => i.keyword === 'COPY')
    .map((i) => {
      const words = i.args.split(' ');
      const flags = Object.fromEntries(words.filter((w) => w.startsWith('--')).map((w) => w.slice(2).split('=') as [string, string]));
      const paths = words.filter((w) => !w.startsWith('--'));
      return { from: flags.from, chown: flags.chown, sources: paths.slice(0, -1), dest: paths.at(-1)! };
    });
}

/** The last instruction of a kind in a stage (the one that counts for USER, CMD, HEALTHCHECK). */
export function last(stage: Stage, keyword: string): Instruction | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1);
}

/** Whether .dockerignore leaves `path` (relative to the context) out of the build context. */
export function ignoredBy(dockerignore: string): (path: string) => boolean {
  const rules = dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).replace(/^\/+|\/+$/g, '');
      const body = pattern
        .split('/')
        .map((part) => (part === '**' ? '.*' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
        .join('/');
      // A pattern names a path and everything under it.
      return { negate, re: new RegExp(`^${body}(/.*)?$`) };
    });
  return (path) => {
    const p = path.replace(/^\.\/+|\/+$/g, '');
    let ignored = false;
    for (const r of rules) if (r.re.test(p)) ignored = !r.negate;
    return ignored;
  };
}
