/* The config.json parser: good documents fill the structs, bad ones fail
   with one line naming the JSON path and the value. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "spec/spec.h"
#include "unit.h"
#include "util/cleanup.h"

#define PROC "{\"args\":[\"sh\"],\"cwd\":\"/\"}"

/* A minimal valid config with `proc` as process and `extra` members added. */
static char *doc(const char *proc, const char *extra)
{
  return xasprintf("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},\"process\":%s%s%s}",
                   proc, extra[0] ? "," : "", extra);
}

/* Parses text and checks the error message is exactly `want`. */
static void expect_error(const char *text, const char *want, int line)
{
  struct spec *s = NULL;
  _cleanup_error_ cn_error_t err = NULL;
  int r = spec_parse_string(text, &s, &err);
  if (r == 0 || err == NULL) {
    unit_failed++;
    fprintf(stderr, "line %d: parsed, expected error %s\n", line, want);
    spec_free(s);
    return;
  }
  if (strcmp(err->msg, want) != 0 || strchr(err->msg, '\n')) {
    unit_failed++;
    fprintf(stderr, "line %d:\n  got  %s\n  want %s\n", line, err->msg, want);
    return;
  }
  unit_passed++;
}

#define BAD(proc, extra, want)                                                                     \
  do {                                                                                             \
    _cleanup_free_ char *_t = doc(proc, extra);                                                    \
    expect_error(_t, want, __LINE__);                                                              \
  } while (0)
#define BAD_RAW(text, want) expect_error(text, want, __LINE__)

static struct spec *parse_ok(const char *text, int line)
{
  struct spec *s = NULL;
  _cleanup_error_ cn_error_t err = NULL;
  if (spec_parse_string(text, &s, &err) < 0) {
    unit_failed++;
    fprintf(stderr, "line %d: unexpected error: %s\n", line, err->msg);
    return NULL;
  }
  unit_passed++;
  return s;
}
#define OK(text) parse_ok(text, __LINE__)

static const char full[]
    = "{\"ociVersion\":\"1.2.0\","
      " \"root\":{\"path\":\"rootfs\",\"readonly\":true},"
      " \"hostname\":\"h\",\"domainname\":\"d\","
      " \"process\":{\"terminal\":true,\"consoleSize\":{\"height\":24,\"width\":80},"
      "   \"user\":{\"uid\":1000,\"gid\":100,\"umask\":18,\"additionalGids\":[5,6],"
      "             \"username\":\"u\"},"
      "   \"args\":[\"sh\",\"-c\",\"true\"],\"env\":[\"PATH=/bin\",\"A=\"],\"cwd\":\"/tmp\","
      "   \"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_KILL\"],\"effective\":[\"CAP_KILL\"],"
      "     "
      "\"inheritable\":[],\"permitted\":[\"CAP_CHECKPOINT_RESTORE\"],\"ambient\":[\"CAP_BPF\"]},"
      "   \"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1024,\"hard\":4096},"
      "                {\"type\":\"RLIMIT_CORE\",\"soft\":0,\"hard\":18446744073709551615}],"
      "   \"noNewPrivileges\":true,\"oomScoreAdj\":-500,\"apparmorProfile\":\"\","
      "   \"commandLine\":\"ignored\",\"futureKey\":{\"x\":1}},"
      " \"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
      "   {\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/srv\","
      "    \"options\":[\"rbind\",\"ro\"]}],"
      " \"hooks\":{\"prestart\":[{\"path\":\"/bin/a\"}],"
      "   \"createRuntime\":[{\"path\":\"/bin/b\",\"args\":[\"b\",\"1\"],\"env\":[\"X=1\"],"
      "     \"timeout\":5}],"
      "   \"createContainer\":[{\"path\":\"/bin/c\"}],\"startContainer\":[{\"path\":\"/bin/d\"}],"
      "   \"poststart\":[{\"path\":\"/bin/e\"},{\"path\":\"/bin/f\"}],\"poststop\":[]},"
      " \"annotations\":{\"a\":\"1\",\"b\":\"2\"},"
      " \"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\","
      "     "
      "\"path\":\"/proc/1/ns/net\"},{\"type\":\"mount\"},{\"type\":\"user\"},{\"type\":\"time\"}],"
      "   \"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
      "   \"gidMappings\":[{\"containerID\":0,\"hostID\":200000,\"size\":1}],"
      "   \"timeOffsets\":{\"monotonic\":{\"secs\":-10,\"nanosecs\":5},"
      "     \"boottime\":{\"secs\":3600}},"
      "   \"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,\"minor\":229,"
      "     \"fileMode\":438,\"uid\":0,\"gid\":0},{\"path\":\"/dev/p\",\"type\":\"p\"}],"
      "   \"cgroupsPath\":\"/x/y\",\"rootfsPropagation\":\"rslave\","
      "   \"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[\"/proc/sys\",\"/proc/bus\"],"
      "   \"mountLabel\":\"\",\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"},"
      "   \"resources\":{\"pids\":{\"limit\":10},\"cpu\":{\"shares\":0,\"quota\":50000,"
      "     \"period\":100000,\"cpus\":\"0-1\",\"mems\":\"\"},"
      "     \"memory\":{\"limit\":1048576,\"swap\":-1,\"swappiness\":0,\"disableOOMKiller\":true}},"
      "   \"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"
      "     \"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"],"
      "     \"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],"
      "     \"syscalls\":[{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
      "       {\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\","
      "        \"args\":[{\"index\":0,\"value\":8,\"valueTwo\":0,\"op\":\"SCMP_CMP_EQ\"}]},"
      "       {\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13}]}},"
      " \"unknownTopLevel\":[1,2,3]}";

static void test_full(void)
{
  _cleanup_spec_ struct spec *s = OK(full);
  if (s == NULL)
    return;
  CHECK_STR(s->oci_version, "1.2.0");
  CHECK_STR(s->root_path, "rootfs");
  CHECK(s->root_readonly);
  CHECK_STR(s->hostname, "h");
  CHECK_STR(s->domainname, "d");

  struct spec_process *p = &s->process;
  CHECK(s->has_process);
  CHECK(p->terminal);
  CHECK(p->has_console_size && p->console_height == 24 && p->console_width == 80);
  CHECK(p->user.uid == 1000 && p->user.gid == 100);
  CHECK(p->user.has_umask && p->user.umask == 022);
  CHECK(p->user.n_additional_gids == 2 && p->user.additional_gids[1] == 6);
  CHECK_STR(p->user.username, "u");
  CHECK_STR(p->args[2], "true");
  CHECK(p->args[3] == NULL);
  CHECK_STR(p->env[1], "A=");
  CHECK_STR(p->cwd, "/tmp");
  CHECK(p->has_caps);
  CHECK(p->caps.bounding == ((1ULL << 0) | (1ULL << 5)));
  CHECK(p->caps.effective == (1ULL << 5));
  CHECK(p->caps.inheritable == 0);
  CHECK(p->caps.permitted == (1ULL << 40));
  CHECK(p->caps.ambient == (1ULL << 39));
  CHECK(p->n_rlimits == 2);
  CHECK(p->rlimits[0].type == RLIMIT_NOFILE && p->rlimits[0].soft == 1024
        && p->rlimits[0].hard == 4096);
  CHECK(p->rlimits[1].type == RLIMIT_CORE && p->rlimits[1].hard == UINT64_MAX);
  CHECK(p->no_new_privileges);
  CHECK(p->has_oom_score_adj && p->oom_score_adj == -500);

  CHECK(s->n_mounts == 2);
  CHECK_STR(s->mounts[1].destination, "/data");
  CHECK_STR(s->mounts[1].source, "/srv");
  CHECK_STR(s->mounts[1].type, "bind");
  CHECK_STR(s->mounts[1].options[1], "ro");
  CHECK(s->mounts[0].options == NULL);

  CHECK(s->hooks[SPEC_HOOK_PRESTART].n == 1);
  CHECK(s->hooks[SPEC_HOOK_CREATE_RUNTIME].v[0].timeout == 5);
  CHECK_STR(s->hooks[SPEC_HOOK_CREATE_RUNTIME].v[0].args[1], "1");
  CHECK_STR(s->hooks[SPEC_HOOK_CREATE_RUNTIME].v[0].env[0], "X=1");
  CHECK(s->hooks[SPEC_HOOK_CREATE_CONTAINER].n == 1);
  CHECK(s->hooks[SPEC_HOOK_START_CONTAINER].n == 1);
  CHECK_STR(s->hooks[SPEC_HOOK_POSTSTART].v[1].path, "/bin/f");
  CHECK(s->hooks[SPEC_HOOK_POSTSTOP].n == 0);
  CHECK(s->n_annotations == 2);
  CHECK_STR(s->annotations[1].key, "b");
  CHECK_STR(s->annotations[1].value, "2");

  struct spec_linux *l = &s->linux_;
  CHECK(s->has_linux);
  CHECK(l->n_namespaces == 5);
  CHECK(l->namespaces[1].type == SPEC_NS_NETWORK);
  CHECK_STR(l->namespaces[1].path, "/proc/1/ns/net");
  CHECK(l->namespaces[0].path == NULL);
  CHECK(l->namespaces[4].type == SPEC_NS_TIME);
  CHECK(l->n_uid_mappings == 1 && l->uid_mappings[0].host_id == 100000
        && l->uid_mappings[0].size == 65536);
  CHECK(l->n_gid_mappings == 1 && l->gid_mappings[0].host_id == 200000);
  CHECK(l->time_monotonic.set && l->time_monotonic.secs == -10 && l->time_monotonic.nanosecs == 5);
  CHECK(l->time_boottime.set && l->time_boottime.secs == 3600);
  CHECK(l->n_devices == 2);
  CHECK(l->devices[0].type == 'c' && l->devices[0].major == 10 && l->devices[0].minor == 229);
  CHECK(l->devices[0].has_file_mode && l->devices[0].file_mode == 0666);
  CHECK(l->devices[0].has_uid && l->devices[0].has_gid);
  CHECK(l->devices[1].type == 'p' && !l->devices[1].has_file_mode);
  CHECK_STR(l->cgroups_path, "/x/y");
  CHECK_STR(l->rootfs_propagation, "rslave");
  CHECK_STR(l->masked_paths[0], "/proc/kcore");
  CHECK_STR(l->readonly_paths[1], "/proc/bus");
  CHECK(l->n_sysctl == 1);
  CHECK_STR(l->sysctl[0].key, "net.ipv4.ip_forward");

  struct spec_resources *r = &l->resources;
  CHECK(l->has_resources);
  CHECK(r->has_pids && r->pids_limit == 10);
  CHECK(r->has_cpu && !r->cpu.has_shares); /* 0 reads as unset, like runc */
  CHECK(r->cpu.has_quota && r->cpu.quota == 50000);
  CHECK(r->cpu.has_period && r->cpu.period == 100000);
  CHECK_STR(r->cpu.cpus, "0-1");
  CHECK(r->cpu.mems == NULL);
  CHECK(r->has_memory && r->memory.has_limit && r->memory.limit == 1048576);
  CHECK(r->memory.has_swap && r->memory.swap == -1);
  CHECK(r->memory.has_swappiness && r->memory.swappiness == 0);
  CHECK(r->memory.has_disable_oom_killer && r->memory.disable_oom_killer);
  CHECK(!r->has_block_io);

  struct spec_seccomp *sc = &l->seccomp;
  CHECK(l->has_seccomp);
  CHECK_STR(sc->default_action, "SCMP_ACT_ERRNO");
  CHECK(sc->has_default_errno_ret && sc->default_errno_ret == 1);
  CHECK_STR(sc->architectures[1], "SCMP_ARCH_X86");
  CHECK_STR(sc->flags[0], "SECCOMP_FILTER_FLAG_LOG");
  CHECK(sc->n_syscalls == 3);
  CHECK_STR(sc->syscalls[0].names[1], "write");
  CHECK(sc->syscalls[1].n_args == 1 && sc->syscalls[1].args[0].value == 8);
  CHECK_STR(sc->syscalls[1].args[0].op, "SCMP_CMP_EQ");
  CHECK(sc->syscalls[2].has_errno_ret && sc->syscalls[2].errno_ret == 13);
  CHECK(!sc->syscalls[0].has_errno_ret);
}

static void test_minimal(void)
{
  _cleanup_spec_ struct spec *s = OK("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"/abs\"}}");
  if (s == NULL)
    return;
  CHECK(!s->has_process && !s->has_linux);
  CHECK(s->n_mounts == 0 && s->n_annotations == 0);

  /* null reads as absent (Go engines write it for unset pointers) */
  _cleanup_spec_ struct spec *n
      = OK("{\"ociVersion\":\"1.0.2-dev\",\"root\":{\"path\":\"r\"},\"linux\":null,"
           "\"process\":{\"args\":[\"a\"],\"cwd\":\"/\",\"user\":null,\"env\":null}}");
  CHECK(n && !n->has_linux && n->process.env == NULL);
}

static void test_syntax_errors(void)
{
  BAD_RAW("", "config.json: invalid JSON at line 1, column 1: unexpected end of input");
  BAD_RAW("{\n\"ociVersion\": \"1.0.0\",\n\"root\": {\"path\": tru}}",
          "config.json: invalid JSON at line 3, column 21: boolean expected");
  BAD_RAW("{\"a\":1,}", "config.json: invalid JSON at line 1, column 8: unexpected character");
  BAD_RAW("{\"a\":1} x", "config.json: invalid JSON at line 1, column 9: unexpected character");
  BAD_RAW("[1]", "config.json: expected a JSON object at the top level, got array");
  BAD_RAW("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"a\\u0000b\"}}",
          "root.path: string contains a NUL character");
}

static void test_required(void)
{
  BAD_RAW("{}", "ociVersion: required field missing");
  BAD_RAW("{\"ociVersion\":\"2.0.0\"}",
          "ociVersion: unsupported version \"2.0.0\" (cinch reads 1.x)");
  BAD_RAW("{\"ociVersion\":1}", "ociVersion: expected string, got number 1");
  BAD_RAW("{\"ociVersion\":\"1.0.0\"}", "root: required field missing");
  BAD_RAW("{\"ociVersion\":\"1.0.0\",\"root\":{}}", "root.path: required field missing");
  BAD_RAW("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"\"}}", "root.path: must not be empty");
  BAD_RAW("{\"ociVersion\":\"1.0.0\",\"root\":\"rootfs\"}",
          "root: expected object, got string \"rootfs\"");
  BAD("{\"cwd\":\"/\"}", "", "process.args: required field missing");
  BAD("{\"args\":[],\"cwd\":\"/\"}", "", "process.args: must have at least one entry");
  BAD("{\"args\":[\"\"],\"cwd\":\"/\"}", "",
      "process.args[0]: the program to run is an empty string");
  BAD("{\"args\":[\"sh\"]}", "", "process.cwd: required field missing");
  BAD("{\"args\":[\"sh\"],\"cwd\":\"tmp\"}", "",
      "process.cwd: must be an absolute path, got \"tmp\"");
  BAD("[]", "", "process: expected object, got array");
}

static void test_types(void)
{
  BAD("{\"args\":\"sh\",\"cwd\":\"/\"}", "", "process.args: expected array, got string \"sh\"");
  BAD("{\"args\":[\"sh\",1],\"cwd\":\"/\"}", "", "process.args[1]: expected string, got number 1");
  BAD("{\"args\":[\"sh\"],\"cwd\":\"/\",\"terminal\":\"yes\"}", "",
      "process.terminal: expected boolean, got string \"yes\"");
  BAD("{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":\"0\",\"gid\":0}}", "",
      "process.user.uid: expected integer, got string \"0\"");
  BAD("{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":-1,\"gid\":0}}", "",
      "process.user.uid: value -1 out of range (0 to 4294967295)");
  BAD("{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":0}}", "",
      "process.user.gid: required field missing");
  BAD("{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0,\"umask\":512}}", "",
      "process.user.umask: value 512 out of range (0 to 511)");
  BAD("{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0,"
      "\"additionalGids\":[1,true]}}",
      "", "process.user.additionalGids[1]: expected integer, got boolean true");
  BAD("{\"args\":[\"sh\"],\"cwd\":\"/\",\"oomScoreAdj\":1001}", "",
      "process.oomScoreAdj: value 1001 out of range (-1000 to 1000)");
  BAD("{\"args\":[\"sh\"],\"cwd\":\"/\",\"oomScoreAdj\":1.5}", "",
      "process.oomScoreAdj: expected integer, got number 1.5");
  BAD("{\"args\":[\"sh\"],\"cwd\":\"/\",\"env\":[\"PATH=/bin\",\"FOO\"]}", "",
      "process.env[1]: expected \"NAME=value\", got \"FOO\"");
  BAD("{\"args\":[\"sh\"],\"cwd\":\"/\",\"consoleSize\":{\"height\":1}}", "",
      "process.consoleSize.width: required field missing");
  BAD(PROC, "\"hostname\":false", "hostname: expected string, got boolean false");
  BAD(PROC, "\"annotations\":{\"a\":\"1\",\"b\":2}",
      "annotations.b: expected string, got number 2");
  BAD(PROC, "\"annotations\":{\"a\":null}", "annotations.a: expected string, got null");
  BAD(PROC, "\"linux\":{\"sysctl\":{\"kernel.x\":[]}}",
      "linux.sysctl.kernel.x: expected string, got array");
}

static void test_capabilities_rlimits(void)
{
  BAD("{\"args\":[\"sh\"],\"cwd\":\"/\",\"capabilities\":{\"bounding\":[\"CAP_CHOWN\","
      "\"CAP_KILL\",\"CAP_NET_RAW\",\"CAP_FOO\"]}}",
      "", "process.capabilities.bounding[3]: unknown capability \"CAP_FOO\"");
  BAD("{\"args\":[\"sh\"],\"cwd\":\"/\",\"capabilities\":{\"ambient\":[\"kill\"]}}", "",
      "process.capabilities.ambient[0]: unknown capability \"kill\"");
  BAD("{\"args\":[\"sh\"],\"cwd\":\"/\",\"capabilities\":{\"effective\":\"CAP_KILL\"}}", "",
      "process.capabilities.effective: expected array, got string \"CAP_KILL\"");
  BAD("{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_FOO\",\"soft\":1,"
      "\"hard\":1}]}",
      "", "process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"");
  BAD("{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1,"
      "\"hard\":1},{\"type\":\"RLIMIT_NOFILE\",\"soft\":2,\"hard\":2}]}",
      "", "process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\"");
  BAD("{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1}]}", "",
      "process.rlimits[0].hard: required field missing");
  BAD("{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":-1,"
      "\"hard\":1}]}",
      "", "process.rlimits[0].soft: expected non-negative integer, got -1");
  BAD("{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":10,"
      "\"hard\":5}]}",
      "", "process.rlimits[0]: soft limit 10 is above hard limit 5");
}

static void test_mounts_hooks(void)
{
  BAD(PROC, "\"mounts\":[{\"type\":\"tmpfs\"}]", "mounts[0].destination: required field missing");
  BAD(PROC, "\"mounts\":[{\"destination\":\"/a\"},{\"destination\":\"rel\"}]",
      "mounts[1].destination: must be an absolute path, got \"rel\"");
  BAD(PROC, "\"mounts\":[{\"destination\":\"/a\",\"options\":[\"ro\",7]}]",
      "mounts[0].options[1]: expected string, got number 7");
  BAD(PROC, "\"mounts\":{}", "mounts: expected array, got object");
  BAD(PROC,
      "\"mounts\":[{\"destination\":\"/a\",\"uidMappings\":[{\"containerID\":0,\"hostID\":1,"
      "\"size\":1}]}]",
      "mounts[0].uidMappings: not supported by cinch (no idmapped mounts)");
  BAD(PROC, "\"hooks\":{\"prestart\":[{\"args\":[\"x\"]}]}",
      "hooks.prestart[0].path: required field missing");
  BAD(PROC, "\"hooks\":{\"poststop\":[{\"path\":\"/a\"},{\"path\":\"b\"}]}",
      "hooks.poststop[1].path: must be an absolute path, got \"b\"");
  BAD(PROC, "\"hooks\":{\"createRuntime\":[{\"path\":\"/a\",\"timeout\":0}]}",
      "hooks.createRuntime[0].timeout: must be greater than zero, got 0");
  BAD(PROC, "\"hooks\":{\"startContainer\":[{\"path\":\"/a\",\"timeout\":\"5\"}]}",
      "hooks.startContainer[0].timeout: expected integer, got string \"5\"");
  BAD(PROC, "\"hooks\":{\"createContainer\":{}}",
      "hooks.createContainer: expected array, got object");
}

static void test_linux(void)
{
  BAD(PROC,
      "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"foo\"}]}",
      "linux.namespaces[2].type: unknown namespace \"foo\"");
  BAD(PROC, "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]}",
      "linux.namespaces[1].type: duplicate namespace \"pid\" (also at index 0)");
  BAD(PROC, "\"linux\":{\"namespaces\":[{\"path\":\"/x\"}]}",
      "linux.namespaces[0].type: required field missing");
  BAD(PROC, "\"linux\":{\"namespaces\":[{\"type\":\"net\"}]}",
      "linux.namespaces[0].type: unknown namespace \"net\"");
  BAD(PROC, "\"linux\":{\"namespaces\":[{\"type\":\"network\",\"path\":\"proc/1/ns/net\"}]}",
      "linux.namespaces[0].path: must be an absolute path, got \"proc/1/ns/net\"");
  BAD(PROC, "\"linux\":{\"uidMappings\":[{\"containerID\":0,\"hostID\":1000}]}",
      "linux.uidMappings[0].size: required field missing");
  BAD(PROC, "\"linux\":{\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":0}]}",
      "linux.uidMappings[0].size: must be greater than zero");
  BAD(PROC, "\"linux\":{\"gidMappings\":[{\"containerID\":0,\"hostID\":\"1\",\"size\":1}]}",
      "linux.gidMappings[0].hostID: expected integer, got string \"1\"");
  BAD(PROC, "\"linux\":{\"timeOffsets\":{\"realtime\":{\"secs\":1}}}",
      "linux.timeOffsets.realtime: unknown clock \"realtime\" (monotonic or boottime)");
  BAD(PROC, "\"linux\":{\"timeOffsets\":{\"boottime\":{\"nanosecs\":1000000000}}}",
      "linux.timeOffsets.boottime.nanosecs: value 1000000000 out of range (0 to 999999999)");
  BAD(PROC,
      "\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"x\",\"major\":1,\"minor\":1}]}",
      "linux.devices[0].type: unknown device type \"x\" (c, b, u or p)");
  BAD(PROC, "\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"c\",\"major\":1}]}",
      "linux.devices[0].minor: required field missing");
  BAD(PROC, "\"linux\":{\"devices\":[{\"path\":\"dev/x\",\"type\":\"c\",\"major\":1,\"minor\":1}]}",
      "linux.devices[0].path: must be an absolute path, got \"dev/x\"");
  BAD(PROC,
      "\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"b\",\"major\":1,\"minor\":1,"
      "\"fileMode\":65535}]}",
      "linux.devices[0].fileMode: value 0177777 out of range (0 to 07777)");
  BAD(PROC, "\"linux\":{\"rootfsPropagation\":\"sideways\"}",
      "linux.rootfsPropagation: unknown propagation \"sideways\"");
  BAD(PROC, "\"linux\":{\"maskedPaths\":[\"/proc/kcore\",\"proc/keys\"]}",
      "linux.maskedPaths[1]: must be an absolute path, got \"proc/keys\"");
  BAD(PROC, "\"linux\":{\"readonlyPaths\":\"/proc/sys\"}",
      "linux.readonlyPaths: expected array, got string \"/proc/sys\"");
  BAD(PROC, "\"linux\":{\"cgroupsPath\":5}", "linux.cgroupsPath: expected string, got number 5");
  BAD(PROC, "\"linux\":[]", "linux: expected object, got array");
}

static void test_resources(void)
{
  BAD(PROC, "\"linux\":{\"resources\":{\"memory\":{\"limit\":\"12Q\"}}}",
      "linux.resources.memory.limit: expected integer, got string \"12Q\"");
  BAD(PROC, "\"linux\":{\"resources\":{\"memory\":{\"limit\":1e9}}}",
      "linux.resources.memory.limit: expected integer, got number 1e9");
  BAD(PROC, "\"linux\":{\"resources\":{\"memory\":{\"swappiness\":101}}}",
      "linux.resources.memory.swappiness: value 101 out of range (0 to 100)");
  BAD(PROC, "\"linux\":{\"resources\":{\"memory\":{\"swappiness\":-1}}}",
      "linux.resources.memory.swappiness: expected non-negative integer, got -1");
  BAD(PROC, "\"linux\":{\"resources\":{\"memory\":{\"limit\":18446744073709551615}}}",
      "linux.resources.memory.limit: value 18446744073709551615 out of range "
      "(-9223372036854775808 to 9223372036854775807)");
  BAD(PROC, "\"linux\":{\"resources\":{\"cpu\":{\"shares\":-2}}}",
      "linux.resources.cpu.shares: expected non-negative integer, got -2");
  BAD(PROC, "\"linux\":{\"resources\":{\"cpu\":{\"cpus\":0}}}",
      "linux.resources.cpu.cpus: expected string, got number 0");
  BAD(PROC, "\"linux\":{\"resources\":{\"pids\":{\"limit\":true}}}",
      "linux.resources.pids.limit: expected integer, got boolean true");
  BAD(PROC, "\"linux\":{\"resources\":{\"devices\":[{\"access\":\"rwm\"}]}}",
      "linux.resources.devices[0].allow: required field missing");
  BAD(PROC, "\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,\"type\":\"u\"}]}}",
      "linux.resources.devices[0].type: unknown device type \"u\" (a, c or b)");
  BAD(PROC, "\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]}}",
      "linux.resources.devices[0].access: invalid access \"rwx\" (a subset of \"rwm\")");
  BAD(PROC, "\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"rr\"}]}}",
      "linux.resources.devices[0].access: invalid access \"rr\" (a subset of \"rwm\")");
  BAD(PROC, "\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,\"major\":-2}]}}",
      "linux.resources.devices[0].major: expected a device number or -1, got -2");
  BAD(PROC, "\"linux\":{\"resources\":{\"blockIO\":{\"weight\":70000}}}",
      "linux.resources.blockIO.weight: value 70000 out of range (0 to 65535)");
  BAD(PROC,
      "\"linux\":{\"resources\":{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":8,"
      "\"minor\":0}]}}}",
      "linux.resources.blockIO.throttleReadBpsDevice[0].rate: required field missing");
  BAD(PROC,
      "\"linux\":{\"resources\":{\"blockIO\":{\"weightDevice\":[{\"major\":8,\"weight\":10}]}}}",
      "linux.resources.blockIO.weightDevice[0].minor: required field missing");
  BAD(PROC, "\"linux\":{\"resources\":{\"hugepageLimits\":[{\"pageSize\":\"2M\",\"limit\":1}]}}",
      "linux.resources.hugepageLimits[0].pageSize: invalid page size \"2M\" (like \"2MB\" or "
      "\"1GB\")");
  BAD(PROC, "\"linux\":{\"resources\":{\"network\":{\"classID\":-1}}}",
      "linux.resources.network.classID: value -1 out of range (0 to 4294967295)");
  BAD(PROC, "\"linux\":{\"resources\":{\"network\":{\"priorities\":[{\"name\":\"eth0\"}]}}}",
      "linux.resources.network.priorities[0].priority: required field missing");
  BAD(PROC, "\"linux\":{\"resources\":{\"rdma\":{\"mlx5_0\":{\"hcaHandles\":\"3\"}}}}",
      "linux.resources.rdma.mlx5_0.hcaHandles: expected integer, got string \"3\"");
  BAD(PROC, "\"linux\":{\"resources\":{\"unified\":{\"memory.high\":1000}}}",
      "linux.resources.unified.memory.high: expected string, got number 1000");
}

static void test_seccomp(void)
{
  BAD(PROC, "\"linux\":{\"seccomp\":{}}", "linux.seccomp.defaultAction: required field missing");
  BAD(PROC, "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_NOPE\"}}",
      "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_NOPE\"");
  BAD(PROC,
      "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
      "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_Z80\"]}}",
      "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_Z80\"");
  BAD(PROC,
      "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
      "\"flags\":[\"SECCOMP_FILTER_FLAG_FAST\"]}}",
      "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FAST\"");
  BAD(PROC,
      "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
      "[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"},{\"names\":[\"kill\"],\"action\":\"DENY\"}]}}",
      "linux.seccomp.syscalls[1].action: unknown action \"DENY\"");
  BAD(PROC,
      "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
      "[],\"action\":\"SCMP_ACT_ALLOW\"}]}}",
      "linux.seccomp.syscalls[0].names: must have at least one entry");
  BAD(PROC,
      "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
      "[\"kill\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,"
      "\"op\":\"SCMP_CMP_ABOUT\"}]}]}}",
      "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_ABOUT\"");
  BAD(PROC,
      "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
      "[\"kill\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":6,\"value\":1,"
      "\"op\":\"SCMP_CMP_EQ\"}]}]}}",
      "linux.seccomp.syscalls[0].args[0].index: value 6 out of range (0 to 5)");
  BAD(PROC,
      "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
      "[\"kill\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}"
      "}",
      "linux.seccomp.syscalls[0].args[0].value: required field missing");
  BAD(PROC,
      "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
      "[\"kill\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":\"EPERM\"}]}}",
      "linux.seccomp.syscalls[0].errnoRet: expected integer, got string \"EPERM\"");
  BAD(PROC, "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}}",
      "linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used");
}

static void test_refused(void)
{
  BAD("{\"args\":[\"sh\"],\"cwd\":\"/\",\"apparmorProfile\":\"docker-default\"}", "",
      spec_host_has_apparmor()
          ? "process.apparmorProfile: cannot apply \"docker-default\": cinch does not support "
            "AppArmor yet"
          : "process.apparmorProfile: cannot apply \"docker-default\": AppArmor is not enabled "
            "on this host");
  if (!spec_host_has_selinux()) {
    BAD("{\"args\":[\"sh\"],\"cwd\":\"/\",\"selinuxLabel\":\"system_u:system_r:container_t:s0\"}",
        "",
        "process.selinuxLabel: cannot apply \"system_u:system_r:container_t:s0\": SELinux is not "
        "enabled on this host");
    BAD(PROC, "\"linux\":{\"mountLabel\":\"system_u:object_r:container_file_t:s0\"}",
        "linux.mountLabel: cannot apply \"system_u:object_r:container_file_t:s0\": SELinux is "
        "not enabled on this host");
  }
  BAD("{\"args\":[\"sh\"],\"cwd\":\"/\",\"scheduler\":{\"policy\":\"SCHED_FIFO\"}}", "",
      "process.scheduler: not supported by cinch (no sched_setattr support)");
  BAD("{\"args\":[\"sh\"],\"cwd\":\"/\",\"ioPriority\":{\"class\":\"IOPRIO_CLASS_RT\"}}", "",
      "process.ioPriority: not supported by cinch (no ioprio_set support)");
  BAD("{\"args\":[\"sh\"],\"cwd\":\"/\",\"execCPUAffinity\":{\"initial\":\"0\"}}", "",
      "process.execCPUAffinity: not supported by cinch (no CPU affinity support)");
  BAD(PROC, "\"linux\":{\"intelRdt\":{\"closID\":\"x\"}}",
      "linux.intelRdt: not supported by cinch (no resctrl support)");
  BAD(PROC, "\"linux\":{\"memoryPolicy\":{\"mode\":\"MPOL_BIND\"}}",
      "linux.memoryPolicy: not supported by cinch (no set_mempolicy support)");
  BAD(PROC, "\"linux\":{\"netDevices\":{\"eth1\":{}}}",
      "linux.netDevices: not supported by cinch (no network device moves)");
  BAD(PROC, "\"linux\":{\"personality\":{\"domain\":\"LINUX32\"}}",
      "linux.personality: not supported by cinch (only domain \"LINUX\" without flags)");
  BAD(PROC, "\"vm\":{\"hypervisor\":{\"path\":\"/q\"}}",
      "vm: not supported by cinch (not a VM-based runtime)");
  _cleanup_free_ char *t = doc(PROC, "\"linux\":{\"personality\":{\"domain\":\"LINUX\"}}");
  _cleanup_spec_ struct spec *s = OK(t);
  CHECK(s != NULL);
}

static void test_one_line_values(void)
{
  /* a newline in a bad value is escaped, keeping the error on one line */
  BAD(PROC, "\"linux\":{\"namespaces\":[{\"type\":\"a\\nb\"}]}",
      "linux.namespaces[0].type: unknown namespace \"a\\nb\"");
}

int main(void)
{
  test_full();
  test_minimal();
  test_syntax_errors();
  test_required();
  test_types();
  test_capabilities_rlimits();
  test_mounts_hooks();
  test_linux();
  test_resources();
  test_seccomp();
  test_refused();
  test_one_line_values();
  UNIT_DONE();
}
