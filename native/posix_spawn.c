/*
 * engine_spawn: starts a step's process with posix_spawn(3) and reports its exit through a
 * pidfd watched by the engine's own libuv loop.
 *
 * Why: node:child_process forks the whole engine process and then execs. fork copies the page
 * tables of everything the engine has mapped, so each spawn costs ~1.1-1.5 ms here and grows
 * with the engine's memory (docs/PERFORMANCE.md). glibc's posix_spawn uses
 * clone(CLONE_VM | CLONE_VFORK): no copy; the caller waits 0.15-0.25 ms (until the child has
 * exec'd), whatever the engine's size. make and ninja start commands this way too.
 *
 * JavaScript API (see src/engine/launch-posix-spawn.ts):
 *   available: boolean            false when the kernel lacks pidfd_open/waitid(P_PIDFD)
 *   unavailableReason: string     why, when not available
 *   spawn(file, args, env, cwd, outFd, onExit) -> pid
 *     file    command; looked up on the PATH of `env` when it has no '/' (as libuv does)
 *     args    string[] (argv[1..]; argv[0] is `file`)
 *     env     string[] of "KEY=VALUE": the complete environment
 *     cwd     working directory of the child
 *     outFd   descriptor that becomes the child's stdout and stderr; stdin is /dev/null
 *     onExit  called once from the event loop: (exitCode: number|null, signal: number|null)
 *   pipe() -> [readFd, writeFd]
 *     a pipe, both ends close-on-exec (pipe2 O_CLOEXEC): the write end given as a spawn's outFd
 *     becomes the child's stdout and stderr (dup2 clears close-on-exec on those), while no other
 *     child inherits either end. Throws like spawn on failure.
 *   The child leads a new session and process group (setsid, like `detached: true`), has every
 *   signal disposition reset to default and an empty signal mask. A file that is not a binary
 *   or a #! script (ENOEXEC) is run by /bin/sh, as execvp(3) does. Throws an Error whose
 *   `code` is the errno name (ENOENT, EACCES, ENOTDIR, ...) when the process cannot start.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

typedef struct {
  uv_poll_t poll; /* first member: the handle pointer is the child_t pointer */
  int pidfd;
  napi_env env;
  napi_ref on_exit;
  napi_async_context async;
} child_t;

static int pidfd_open_(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

/* A JS string as a malloc'd C string; NULL when not a string or when it holds a NUL. */
static char *dup_js_string(napi_env env, napi_value v) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (s == NULL) return NULL;
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  if (strlen(s) != len) {
    free(s);
    return NULL;
  }
  return s;
}

static void free_vector(char **v, size_t from) {
  if (v == NULL) return;
  for (char **p = v + from; *p != NULL; p++) free(*p);
  free(v);
}

/* A JS string[] as a NULL-terminated vector, after `reserve` leading slots left NULL. */
static char **dup_js_string_array(napi_env env, napi_value arr, size_t reserve) {
  uint32_t n;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return NULL;
  char **out = calloc(reserve + n + 1, sizeof(char *));
  if (out == NULL) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    if (napi_get_element(env, arr, i, &el) != napi_ok || (out[reserve + i] = dup_js_string(env, el)) == NULL) {
      free_vector(out, reserve);
      return NULL;
    }
  }
  return out;
}

/*
 * execvp's search, with PATH from the child's environment (libuv does the same; without PATH,
 * "/usr/bin:/bin"). Relative entries, and a relative command with a '/', are resolved against
 * the child's cwd, where the child would resolve them. Returns a malloc'd path, or NULL with
 * *err = ENOENT, or EACCES when a candidate exists but is not executable.
 */
static char *find_executable(const char *file, char *const *envp, const char *cwd, int *err) {
  if (strchr(file, '/') != NULL) {
    char *p = malloc(strlen(cwd) + strlen(file) + 2);
    if (p == NULL) {
      *err = ENOMEM;
      return NULL;
    }
    if (file[0] == '/') strcpy(p, file);
    else sprintf(p, "%s/%s", cwd, file);
    return p;
  }
  const char *path = "/usr/bin:/bin";
  for (char *const *e = envp; *e != NULL; e++) {
    if (strncmp(*e, "PATH=", 5) == 0) {
      path = *e + 5;
      break;
    }
  }
  int saw_eacces = 0;
  size_t flen = strlen(file), clen = strlen(cwd);
  for (const char *p = path;;) {
    const char *colon = strchr(p, ':');
    int dlen = (int)(colon != NULL ? (size_t)(colon - p) : strlen(p));
    size_t cap = clen + (size_t)dlen + flen + 3;
    char *cand = malloc(cap);
    if (cand == NULL) {
      *err = ENOMEM;
      return NULL;
    }
    if (dlen == 0) snprintf(cand, cap, "%s/%s", cwd, file);
    else if (p[0] == '/') snprintf(cand, cap, "%.*s/%s", dlen, p, file);
    else snprintf(cand, cap, "%s/%.*s/%s", cwd, dlen, p, file);
    struct stat st;
    if (stat(cand, &st) == 0 && S_ISREG(st.st_mode)) {
      if (access(cand, X_OK) == 0) return cand;
      saw_eacces = 1;
    }
    free(cand);
    if (colon == NULL) break;
    p = colon + 1;
  }
  *err = saw_eacces ? EACCES : ENOENT;
  return NULL;
}

static napi_value throw_errno(napi_env env, int err) {
  const char *name = uv_err_name(-err); /* libuv's errors are negated errno values on Unix */
  char message[300];
  snprintf(message, sizeof message, "spawn %s (%s)", name, strerror(err));
  napi_value code, msg, error, errno_value;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, -err, &errno_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_throw(env, error);
  return NULL;
}

static void on_closed(uv_handle_t *handle) {
  child_t *c = (child_t *)handle;
  close(c->pidfd);
  free(c);
}

static void on_pidfd_readable(uv_poll_t *handle, int status, int events) {
  (void)status;
  (void)events;
  child_t *c = (child_t *)handle;
  siginfo_t info;
  memset(&info, 0, sizeof info);
  int r;
  do r = waitid(P_PIDFD, (id_t)c->pidfd, &info, WEXITED | WNOHANG);
  while (r == -1 && errno == EINTR);
  if (r == 0 && info.si_pid == 0) return; /* not exited yet */
  uv_poll_stop(handle);

  napi_env env = c->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value callback, receiver, argv[2], result;
  napi_get_reference_value(env, c->on_exit, &callback);
  napi_get_global(env, &receiver);
  napi_get_null(env, &argv[0]);
  napi_get_null(env, &argv[1]);
  if (r == 0 && info.si_code == CLD_EXITED) napi_create_int32(env, info.si_status, &argv[0]);
  else if (r == 0) napi_create_int32(env, info.si_status, &argv[1]);
  napi_delete_reference(env, c->on_exit);
  /* napi_make_callback runs queued microtasks and nextTicks afterwards, like any libuv callback
     into Node; an exception thrown by onExit becomes an uncaught exception. */
  napi_make_callback(env, c->async, receiver, callback, 2, argv, &result);
  napi_async_destroy(env, c->async);
  napi_close_handle_scope(env, scope);
  uv_close((uv_handle_t *)handle, on_closed);
}

#define NAPI_CALL(call)                                      \
  do {                                                       \
    if ((call) != napi_ok) {                                 \
      napi_throw_error(env, NULL, "engine_spawn: " #call);   \
      goto done;                                             \
    }                                                        \
  } while (0)

static napi_value spawn_(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value args[6], ret = NULL;
  char *file = NULL, *cwd = NULL, *path = NULL, **argv = NULL, **envp = NULL;
  child_t *c = NULL;
  int32_t out_fd;
  int actions_ready = 0, attr_ready = 0, err;
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  napi_valuetype callback_type;

  NAPI_CALL(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  if (argc < 6) {
    napi_throw_type_error(env, NULL, "spawn(file, args, env, cwd, outFd, onExit)");
    goto done;
  }
  file = dup_js_string(env, args[0]);
  cwd = dup_js_string(env, args[3]);
  argv = dup_js_string_array(env, args[1], 1);
  envp = dup_js_string_array(env, args[2], 0);
  if (file == NULL || cwd == NULL || argv == NULL || envp == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "spawn: file, args, env and cwd must be strings without NUL bytes");
    goto done;
  }
  argv[0] = file;
  NAPI_CALL(napi_get_value_int32(env, args[4], &out_fd));
  NAPI_CALL(napi_typeof(env, args[5], &callback_type));
  if (callback_type != napi_function) {
    napi_throw_type_error(env, NULL, "spawn: onExit must be a function");
    goto done;
  }
  path = find_executable(file, envp, cwd, &err);
  if (path == NULL) {
    throw_errno(env, err);
    goto done;
  }

  posix_spawn_file_actions_init(&actions);
  actions_ready = 1;
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addchdir_np(&actions, cwd);
  posix_spawnattr_init(&attr);
  attr_ready = 1;
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  /* sigfillset leaves out glibc's two internal signals (32 and 33), and posix_spawn then sets
     them to SIG_IGN in the child, which exec keeps. Set their bits by hand (glibc's sigset_t
     layout: signal n is bit n-1) so they are reset to SIG_DFL too, like every other signal. */
  for (int sig = 32; sig < SIGRTMIN; sig++) {
    all.__val[(sig - 1) / (8 * sizeof all.__val[0])] |= 1UL << ((sig - 1) % (8 * sizeof all.__val[0]));
  }
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  pid_t pid;
  err = posix_spawn(&pid, path, &actions, &attr, argv, envp);
  if (err == ENOEXEC) {
    /* No #! line: run it with /bin/sh, as execvp does. argv becomes sh, path, args... */
    size_t n = 0;
    while (argv[n] != NULL) n++;
    char **sh_argv = calloc(n + 2, sizeof(char *));
    if (sh_argv == NULL) {
      err = ENOMEM;
    } else {
      sh_argv[0] = "/bin/sh";
      sh_argv[1] = path;
      for (size_t i = 1; i < n; i++) sh_argv[i + 1] = argv[i];
      err = posix_spawn(&pid, "/bin/sh", &actions, &attr, sh_argv, envp);
      free(sh_argv);
    }
  }
  if (err != 0) {
    throw_errno(env, err);
    goto done;
  }

  int pidfd = pidfd_open_(pid);
  if (pidfd < 0) {
    err = errno;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    throw_errno(env, err);
    goto done;
  }
  uv_loop_t *loop;
  c = calloc(1, sizeof *c);
  if (c == NULL || napi_get_uv_event_loop(env, &loop) != napi_ok) {
    close(pidfd);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    napi_throw_error(env, NULL, "engine_spawn: out of memory");
    goto done;
  }
  c->pidfd = pidfd;
  c->env = env;
  napi_value resource_name;
  napi_create_string_utf8(env, "engine.spawn", NAPI_AUTO_LENGTH, &resource_name);
  napi_async_init(env, NULL, resource_name, &c->async);
  napi_create_reference(env, args[5], 1, &c->on_exit);
  int uv_err = uv_poll_init(loop, &c->poll, pidfd);
  int initialized = uv_err == 0;
  if (initialized) uv_err = uv_poll_start(&c->poll, UV_READABLE, on_pidfd_readable);
  if (uv_err != 0) {
    /* Not expected once pidfd_open worked; the child must not be left unwatched. */
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    napi_delete_reference(env, c->on_exit);
    napi_async_destroy(env, c->async);
    if (initialized) {
      uv_close((uv_handle_t *)&c->poll, on_closed);
    } else {
      close(pidfd);
      free(c);
    }
    c = NULL;
    napi_throw_error(env, NULL, uv_strerror(uv_err));
    goto done;
  }
  c = NULL; /* owned by the loop until on_closed */
  napi_create_int32(env, pid, &ret);

done:
  if (actions_ready) posix_spawn_file_actions_destroy(&actions);
  if (attr_ready) posix_spawnattr_destroy(&attr);
  free(path);
  free(cwd);
  free_vector(argv, 1); /* argv[0] is file */
  free_vector(envp, 0);
  free(file);
  free(c);
  return ret;
}

static napi_value pipe_(napi_env env, napi_callback_info info) {
  (void)info;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return throw_errno(env, errno);
  napi_value pair, r, w;
  napi_create_array_with_length(env, 2, &pair);
  napi_create_int32(env, fds[0], &r);
  napi_create_int32(env, fds[1], &w);
  napi_set_element(env, pair, 0, r);
  napi_set_element(env, pair, 1, w);
  return pair;
}

static napi_value init(napi_env env, napi_value exports) {
  /* pidfd_open needs Linux 5.3, waitid(P_PIDFD) 5.4: on our own pid the latter fails with
     ECHILD where it is supported (we are not our own child), EINVAL where it is not. */
  const char *reason = NULL;
  int fd = pidfd_open_(getpid());
  if (fd < 0) {
    reason = "pidfd_open(2) is not supported by this kernel (Linux 5.4 or newer is needed)";
  } else {
    siginfo_t info;
    if (waitid(P_PIDFD, (id_t)fd, &info, WEXITED | WNOHANG) == -1 && errno == EINVAL) {
      reason = "waitid(P_PIDFD) is not supported by this kernel (Linux 5.4 or newer is needed)";
    }
    close(fd);
  }
  napi_value fn, available, why;
  napi_create_function(env, "spawn", NAPI_AUTO_LENGTH, spawn_, NULL, &fn);
  napi_set_named_property(env, exports, "spawn", fn);
  napi_create_function(env, "pipe", NAPI_AUTO_LENGTH, pipe_, NULL, &fn);
  napi_set_named_property(env, exports, "pipe", fn);
  napi_get_boolean(env, reason == NULL, &available);
  napi_set_named_property(env, exports, "available", available);
  napi_create_string_utf8(env, reason != NULL ? reason : "", NAPI_AUTO_LENGTH, &why);
  napi_set_named_property(env, exports, "unavailableReason", why);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
