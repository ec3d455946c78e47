// Runs one Python program with Pyodide (CPython compiled to WebAssembly) for cod's Python engine.
// The executor starts it in its sandbox (new mount/pid/net namespaces, unprivileged uid, no new
// privileges, empty environment) with fds 1 and 2 redirected to the execution's stdout/stderr:
//
//   node --no-warnings --no-turbo-fast-api-calls --experimental-wasm-stack-switching
//        [--wasm-max-mem-pages=N] [--max-old-space-size=MB]
//        pyodide_runner.mjs [--sandbox ID] [--report-fd N] [--args-fd N] --pyodide DIR [--dir HOST:GUEST]... [--env K=V]... [--cwd GUEST_DIR]
//        (--program-file GUEST_PATH | --command CODE) [--requirements GUEST_PATH] [-- ARGS...]
//
//   --sandbox        ignored: it names the run so that a restarted node finds runners it left.
//   --pyodide        the npm package folder (…/node_modules/pyodide); nothing else is read from.
//   --dir            HOST (a folder or a file; split at the first ':') appears at GUEST (absolute,
//                    not under /lib, /dev, /proc). Writes go to HOST; the sandbox's read-only bind
//                    mounts give Python EROFS. A GUEST inside another --dir needs its folder there.
//   --env            os.environ is exactly these, plus HOME=/home/pyodide (in memory) if not given.
//   --cwd            the working folder (default /); it is on sys.path.
//   --program-file   like `python GUEST_PATH ARGS...`; --command like `python -c CODE ARGS...`.
//   --requirements   a requirements.txt in the guest: only packages whose wheels are in DIR load
//                    (314.0.8 ships none); any other requirement fails before the program runs.
//
// Exit status: the program's (sys.exit(n) -> n & 255, uncaught exception -> traceback and 1,
// SystemExit with a message -> message and 1, program file missing -> 2); 126 when a requirement
// cannot be installed; 125 when the runner itself fails (bad arguments, Pyodide fails to load).
// On success the runner writes nothing of its own to stdout or stderr.
//
// Determinism: the same program and inputs give the same bytes on every run and node. Entropy
// (os.urandom, random's seed, crypto.getRandomValues, Math.random) comes from a PRNG with a fixed
// seed; PYTHONHASHSEED=0; TZ=UTC; time is virtual: the clock starts at 2000-01-01T00:00:00Z and
// moves only when the program sleeps (instantly: timers fire in virtual time), reads a monotonic
// clock or runs an event-loop callback (1 ms each). Not covered: file times and owners from
// --dir folders and os.getuid() are the host's; the JS FFI (`import js`) reaches real time.
// Start node with the same flags everywhere: with and without JSPI (below) a program consumes
// virtual time and memory differently.
//
// --experimental-wasm-stack-switching (V8's JSPI, old API, in Node 20) lets Pyodide run
// asyncio.run() and sleep without spinning; without it the runner works, but asyncio.run raises
// RuntimeError and time.sleep busy-waits on the virtual clock.
//
// The JS FFI gives Python everything node can do (fs, child_process): the sandbox, not this
// runner, is the security boundary. Node's permission model is a second fence that the runner
// supports: --experimental-permission --allow-fs-read=DIR/* --allow-fs-read=<this file>
// --allow-fs-read=HOST/* (each --dir) --allow-fs-write=HOST/* (each writable --dir) refuses
// child_process, workers and other paths; Python sees a refused write as EACCES.

import fs from 'node:fs';
import nodeCrypto from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';

const RUNNER_FAILED = 125;
const REQUIREMENTS_UNMET = 126; // the executor fails the execution with the message

function writeAll(fd, bytes) {
  let off = 0;
  while (off < bytes.length) {
    try {
      off += fs.writeSync(fd, bytes, off, bytes.length - off);
    } catch (e) {
      if (e.code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1); // non-blocking fd: retry
    }
  }
  return bytes.length;
}
const writeText = (fd, text) => writeAll(fd, Buffer.from(text));
let reportFd = -1;
function fail(message, status = RUNNER_FAILED) {
  if (reportFd >= 0) writeAll(reportFd, Buffer.from(message));
  writeText(2, `cod-python: ${message}\n`);
  process.exit(status);
}
// The engine passes the real arguments as a JSON array on an inherited file descriptor
// (--args-fd N), so that the task's environment and parameters never show on a command line that
// every user of the node can read, and takes the runner's own failure reasons on another
// (--report-fd N), which a guest cannot write to pretend to be the runner. Both come before the
// rest; --sandbox (the run's marker) stays on the command line.
function expandArgs(argv) {
  const out = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--args-fd' && i + 1 < argv.length) {
      out.push(...JSON.parse(fs.readFileSync(Number(argv[++i]), 'utf8')));
    } else if (argv[i] === '--report-fd' && i + 1 < argv.length) {
      reportFd = Number(argv[++i]);
    } else {
      out.push(argv[i]);
    }
  }
  return out;
}
// Nothing may reach stdout but the program's output; Node prints an uncaught error with its
// source line, which for pyodide.asm.mjs is the whole 1 MB file.
for (const name of ['log', 'info', 'debug', 'warn', 'error', 'trace']) {
  console[name] = (...args) => writeText(2, format(...args) + '\n');
}
// A Python exception that escapes through JS (a callback run by a JS timer) is the program's.
const uncaught = (e) =>
  e?.constructor?.name === 'PythonError'
    ? (writeText(2, e.message), process.exit(1))
    : fail(`internal error: ${e?.stack ?? e}`);
process.on('uncaughtException', uncaught);
process.on('unhandledRejection', uncaught);

// ---- command line ----
function parseArgs(argv) {
  const o = { dirs: [], env: {}, cwd: '/', args: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { o.args = argv.slice(i + 1); break; }
    const value = () => (i + 1 < argv.length ? argv[++i] : fail(`${a} needs a value`));
    switch (a) {
      case '--pyodide': o.pyodide = value(); break;
      case '--sandbox': value(); break; // names the run for the node's recover(); unused here
      case '--cwd': o.cwd = value(); break;
      case '--program-file': o.program = value(); break;
      case '--command': o.command = value(); break;
      case '--requirements': o.requirements = value(); break;
      case '--dir': {
        const v = value(), at = v.indexOf(':');
        if (at <= 0 || !path.posix.isAbsolute(v.slice(at + 1))) fail(`--dir ${v}: want HOST:/GUEST`);
        o.dirs.push({ host: v.slice(0, at), guest: path.posix.normalize(v.slice(at + 1)) });
        break;
      }
      case '--env': {
        const v = value(), at = v.indexOf('=');
        if (at <= 0) fail(`--env ${v}: want K=V`);
        o.env[v.slice(0, at)] = v.slice(at + 1);
        break;
      }
      default: fail(`unknown argument ${a}`);
    }
  }
  if (!o.pyodide) fail('--pyodide DIR is required');
  if ((o.program === undefined) === (o.command === undefined)) {
    fail('give exactly one of --program-file and --command');
  }
  return o;
}
const opts = parseArgs(expandArgs(process.argv.slice(2)));

// ---- determinism, installed before Pyodide loads ----
process.env.TZ = 'UTC'; // localtime and Date's local methods ignore /etc/localtime

// xoshiro128** with a fixed seed: fast, and good enough for uuid4/tempfile names/random's seed.
const rng = new Uint32Array([0x9e3779b9, 0x243f6a88, 0xb7e15162, 0x6a09e667]);
function next32() {
  const s = rng, r = Math.imul(((Math.imul(s[1], 5) << 7) | (Math.imul(s[1], 5) >>> 25)), 9);
  const t = s[1] << 9;
  s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t;
  s[3] = (s[3] << 11) | (s[3] >>> 21);
  return r >>> 0;
}
function fillRandom(view) {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  for (let i = 0; i < bytes.length; i += 4) {
    let r = next32();
    for (let j = i; j < Math.min(i + 4, bytes.length); j++, r >>>= 8) bytes[j] = r & 0xff;
  }
  return view;
}
// Emscripten's getrandom and /dev/urandom use node:crypto's randomFillSync.
nodeCrypto.randomFillSync = (buf, offset = 0, size) => {
  const view = ArrayBuffer.isView(buf) ? buf : new Uint8Array(buf);
  const n = size ?? view.byteLength - offset;
  fillRandom(new Uint8Array(view.buffer, view.byteOffset + offset, n));
  return buf;
};
nodeCrypto.randomBytes = (n) => fillRandom(Buffer.alloc(n));
globalThis.crypto.getRandomValues = fillRandom;
Math.random = () => next32() / 2 ** 32;

// Virtual time, in ms since 2000-01-01T00:00:00Z. It advances by TICK_MS on every monotonic
// clock read (so busy waits end) and every callback the event loop runs, and when the program
// waits only on timers it jumps to the next deadline: the earliest timer fires (ties in order of
// creation), so sleeps cost no wall time and timers cannot race. A timer also fires, when due,
// while callbacks keep coming (asyncio's call_soon is a setImmediate in Pyodide).
const TICK_MS = 1;
const EPOCH_MS = Date.UTC(2000, 0, 1);
let virtualMs = 0;
const RealDate = Date;
function VirtualDate(...args) {
  if (!new.target) return new RealDate(EPOCH_MS + virtualMs).toString();
  return args.length ? new RealDate(...args) : new RealDate(EPOCH_MS + virtualMs);
}
VirtualDate.prototype = RealDate.prototype;
VirtualDate.now = () => EPOCH_MS + virtualMs;
VirtualDate.UTC = RealDate.UTC;
VirtualDate.parse = RealDate.parse;
globalThis.Date = VirtualDate;
performance.now = () => (virtualMs += TICK_MS); // CLOCK_MONOTONIC, perf_counter, busy sleeps

const realSetImmediate = setImmediate, realClearImmediate = clearImmediate;
const immediates = new Set();
globalThis.setImmediate = (fn, ...args) => {
  const handle = realSetImmediate(() => {
    immediates.delete(handle);
    virtualMs += TICK_MS;
    fn(...args);
  });
  immediates.add(handle);
  return handle;
};
globalThis.clearImmediate = (handle) => {
  immediates.delete(handle);
  realClearImmediate(handle);
};
const timers = new Map();
let timerSeq = 0, pumping = false;
function schedulePump() {
  if (!pumping) {
    pumping = true;
    realSetImmediate(pumpTimers); // after the callbacks queued so far
  }
}
function pumpTimers() {
  pumping = false;
  let first;
  for (const [id, t] of timers) if (!first || t.at < first[1].at) first = [id, t];
  if (!first) return;
  if (immediates.size && first[1].at > virtualMs) return schedulePump(); // not idle, not due
  timers.delete(first[0]);
  virtualMs = Math.max(virtualMs, first[1].at);
  if (timers.size) schedulePump();
  first[1].fn(...first[1].args);
}
globalThis.setTimeout = (fn, ms, ...args) => {
  const id = ++timerSeq;
  timers.set(id, { at: virtualMs + Math.max(0, Number(ms) || 0), fn, args });
  schedulePump();
  return id;
};
globalThis.clearTimeout = (id) => timers.delete(id);

// ---- load Pyodide ----
// NODEFS reads open flags from process.binding('constants'), which Node's permission model
// (--experimental-permission, see the top) refuses; fs.constants holds the same values.
const realBinding = process.binding;
process.binding = (name) => (name === 'constants' ? { fs: fs.constants } : realBinding.call(process, name));
const pkgDir = path.resolve(opts.pyodide);
// The installer precompiles the standard library to bytecode (saves ~1.7 s per start).
const pycZip = path.join(pkgDir, 'python_stdlib_pyc.zip');
// Offer only packages whose files, and whose dependencies' files, are in the package folder, so
// neither loadPackage nor the import hook ever try the CDN.
function bundledPackages(all) {
  const ok = new Map();
  const present = (name, seen) => {
    if (ok.has(name)) return ok.get(name);
    if (!all[name] || seen.has(name)) return false;
    seen.add(name);
    const r = fs.existsSync(path.join(pkgDir, all[name].file_name)) &&
      (all[name].depends ?? []).every((d) => present(d, seen));
    ok.set(name, r);
    return r;
  };
  return Object.fromEntries(Object.entries(all).filter(([name]) => present(name, new Set())));
}
const out = (fd) => ({ write: (bytes) => writeAll(fd, bytes) });
let pyodide, bundled;
try {
  const lockFile = JSON.parse(fs.readFileSync(path.join(pkgDir, 'pyodide-lock.json'), 'utf8'));
  bundled = bundledPackages(lockFile.packages);
  const { loadPyodide } = await import(pathToFileURL(path.join(pkgDir, 'pyodide.mjs')).href);
  pyodide = await loadPyodide({
    indexURL: pkgDir + '/',
    packageBaseUrl: pkgDir + '/',
    stdLibURL: fs.existsSync(pycZip) ? pycZip : undefined,
    lockFileContents: { ...lockFile, packages: bundled },
    // Pyodide defaults PYTHONINSPECT to 1 (sys.flags.inspect); an empty value leaves it unset.
    env: { HOME: '/home/pyodide', PYTHONINSPECT: '', ...opts.env,
      PYTHONHASHSEED: opts.env.PYTHONHASHSEED ?? '0' },
    _sysExecutable: '/usr/bin/python3', // else sys.executable is this file's host path
    stdout: (line) => writeText(2, line + '\n'), // only during start-up, if ever
    stderr: (line) => writeText(2, line + '\n'),
  });
} catch (e) {
  fail(`cannot load Pyodide from ${pkgDir}: ${e?.message ?? e}`);
}
pyodide.setStdout(out(1));
pyodide.setStderr(out(2));
pyodide.setStdin({
  read: (buf) => { try { return fs.readSync(0, buf); } catch { return 0; } },
});

// ---- file system ----
const { FS } = pyodide;
// NODEFS turns a Node error code it does not know (ERR_ACCESS_DENIED from the permission model)
// into errno undefined, which the syscall then reports as success.
const NODEFS = FS.filesystems.NODEFS, nodeErrno = NODEFS.convertNodeCode;
const [EACCES, EIO] = pyodide.runPython('import errno; (errno.EACCES, errno.EIO)').toJs();
const strerror = pyodide.runPython('import os; os.strerror');
const why = (e) => (e?.name === 'ErrnoError' ? strerror(e.errno) : e?.message ?? String(e));
NODEFS.convertNodeCode = (e) => nodeErrno(e) ?? (e.code === 'ERR_ACCESS_DENIED' ? EACCES : EIO);
const depth = (p) => p.split('/').length;
let fileMounts = 0;
for (const { host, guest } of [...opts.dirs].sort((a, b) => depth(a.guest) - depth(b.guest))) {
  if (guest === '/' || /^\/(lib|dev|proc)(\/|$)/.test(guest)) fail(`--dir ${guest}: reserved path`);
  try {
    const stat = fs.statSync(host);
    if (stat.isDirectory()) {
      FS.mkdirTree(guest);
      FS.mount(NODEFS, { root: host }, guest);
    } else {
      // NODEFS mounts folders only: mount the file's folder aside and link the file.
      const aside = `/.cod/files/${fileMounts++}`;
      FS.mkdirTree(aside);
      FS.mount(NODEFS, { root: path.dirname(host) }, aside);
      FS.mkdirTree(path.posix.dirname(guest));
      FS.symlink(`${aside}/${path.basename(host)}`, guest);
    }
  } catch (e) {
    fail(`--dir ${host}:${guest}: ${why(e)}`);
  }
}
try {
  FS.mkdirTree(opts.cwd);
  FS.chdir(opts.cwd);
} catch (e) {
  fail(`--cwd ${opts.cwd}: ${why(e)}`);
}

// ---- requirements: offline, only what the package folder bundles ----
if (opts.requirements !== undefined) {
  const names = requirementNames(opts.requirements);
  const norm = (n) => n.toLowerCase().replace(/[-_.]+/g, '-');
  const byNorm = new Map(Object.keys(bundled).map((n) => [norm(n), n]));
  const missing = names.filter((n) => !byNorm.has(norm(n)));
  if (missing.length) {
    const have = Object.keys(bundled);
    fail(`${missing.map((n) => `'${n}'`).join(', ')} cannot be installed: this node runs Python ` +
         `offline and has only the standard library${have.length ? ` and ${have.join(', ')}` : ''}`,
         REQUIREMENTS_UNMET);
  }
  if (names.length) {
    await pyodide.loadPackage(names.map((n) => byNorm.get(norm(n))), {
      messageCallback: () => {},
      errorCallback: (m) => writeText(2, m + '\n'),
    });
  }
}

// Names in a requirements file read through Python's view of the file system; -r includes are
// followed, other options ignored, and anything that is not a plain name (URL, path, -e) is kept
// whole so that it is reported as not installable. Versions and markers are not checked.
function requirementNames(file, seen = new Set()) {
  const names = [];
  let text;
  try {
    text = new TextDecoder().decode(FS.readFile(file));
  } catch (e) {
    fail(`cannot read requirements file ${file}: ${why(e)}`, 1);
  }
  seen.add(file);
  for (let line of text.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
    line = line.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    const include = line.match(/^(-r|--requirement)\s*=?\s*(\S+)/);
    if (include) {
      const inc = path.posix.resolve(path.posix.dirname(file), include[2]);
      if (!seen.has(inc)) names.push(...requirementNames(inc, seen));
      continue;
    }
    if (line.startsWith('-') && !/^(-e|--editable)\b/.test(line)) continue; // -c, --index-url…
    const name = line.match(/^[A-Za-z0-9][A-Za-z0-9._-]*(?=\s*(\[|[<>=!~;@(]|$))/);
    names.push(name ? name[0] : line);
  }
  return names;
}

// ---- run, like CPython's `python FILE ARGS` / `python -c CODE ARGS` ----
const main = pyodide.runPython(`
def _cod_main(program, command, args, cwd, keep_env, exit_now, start_clock):
    import asyncio, atexit, builtins, os, sys, types, warnings
    import pyodide.webloop

    for key in [k for k in os.environ if k not in keep_env]:
        del os.environ[key]
    if sys.path and sys.path[0] == '':
        del sys.path[0]
    if command is not None:
        sys.argv = ['-c', *args]
        sys.orig_argv = [sys.executable, '-c', command, *args]
        path0 = ''
    else:
        sys.argv = [program, *args]
        sys.orig_argv = [sys.executable, program, *args]
        path0 = os.path.dirname(os.path.abspath(program))
    sys.path[0:0] = [path0] + ([cwd] if cwd != os.path.abspath(path0) else [])

    main = types.ModuleType('__main__')
    main.__builtins__ = builtins
    sys.modules['__main__'] = main

    def exit_code(e):  # as Py_Exit after SystemExit
        if e.code is None:
            return 0
        if isinstance(e.code, int):
            return e.code & 0xFF
        try:
            print(e.code, file=sys.stderr)
        except Exception:
            pass
        return 1

    def finish(status):  # as Py_FinalizeEx: exit handlers, then flush
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                status = 120
        return status

    # SystemExit in an asyncio callback (sys.exit() in a task) cannot unwind the main stack,
    # suspended in run_until_complete: the process ends from there.
    def on_system_exit(code):
        exit_now(finish(exit_code(SystemExit(code))))
    loop_init = pyodide.webloop.WebLoop.__init__
    def init(self):
        loop_init(self)
        self._system_exit_handler = on_system_exit
    pyodide.webloop.WebLoop.__init__ = init
    with warnings.catch_warnings():  # the policy API is deprecated in 3.14
        warnings.simplefilter('ignore', DeprecationWarning)
        asyncio.get_event_loop_policy().get_event_loop()._system_exit_handler = on_system_exit

    status = 0
    try:
        if command is not None:
            code = compile(command, '<string>', 'exec', dont_inherit=True)
        else:
            try:
                with open(program, 'rb') as f:
                    source = f.read()
            except OSError as e:
                print(f"python: can't open file {program!r}: [Errno {e.errno}] {e.strerror}",
                      file=sys.stderr)
                return 2
            main.__file__ = os.path.abspath(program)  # as CPython >= 3.9
            main.__cached__ = None
            code = compile(source, main.__file__, 'exec', dont_inherit=True)
        start_clock()
        exec(code, main.__dict__)
    except SystemExit as e:
        status = exit_code(e)
    except BaseException as e:
        # Skip this function's frame, as CPython's traceback starts in the program.
        sys.excepthook(type(e), e, e.__traceback__ and e.__traceback__.tb_next)
        status = 1
    return finish(status)

_cod_main
`);

const jspi = typeof WebAssembly.Suspender === 'function' || typeof WebAssembly.Suspending === 'function';
const callArgs = [opts.program, opts.command, pyodide.toPy(opts.args), opts.cwd,
  pyodide.toPy(Object.keys({ HOME: '', ...opts.env })), (status) => process.exit(status),
  () => { virtualMs = 0; }]; // the program's clock starts at 2000-01-01T00:00:00Z
let status;
try {
  status = jspi ? await main.callPromising(...callArgs) : main(...callArgs);
} catch (e) {
  // os._exit(n) ends the Emscripten runtime with an error named Exit carrying the status.
  if (/^Exit/.test(e?.name) && Number.isInteger(e.status)) process.exit(e.status & 0xff);
  fail(`Python crashed: ${e?.message ?? e}`, 1);
}
process.exit(status);
