/* Releasing what the parsers (or the front end) put into the structs. */
#include <stdlib.h>
#include <string.h>

#include "spec/internal.h"
#include "util/cleanup.h"

static void kv_free(struct spec_kv *kv, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(kv[i].key);
    free(kv[i].value);
  }
  free(kv);
}

void spec_process_clear(struct spec_process *p)
{
  free(p->user.additional_gids);
  free(p->user.username);
  cn_strv_free(p->args);
  cn_strv_free(p->env);
  free(p->cwd);
  free(p->rlimits);
  free(p->apparmor_profile);
  free(p->selinux_label);
  memset(p, 0, sizeof *p);
}

void spec_resources_clear(struct spec_resources *r)
{
  struct spec_block_io *b = &r->block_io;
  free(r->devices);
  free(r->cpu.cpus);
  free(r->cpu.mems);
  free(b->weight_device);
  free(b->throttle_read_bps.v);
  free(b->throttle_write_bps.v);
  free(b->throttle_read_iops.v);
  free(b->throttle_write_iops.v);
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    free(r->hugepage_limits[i].page_size);
  free(r->hugepage_limits);
  for (size_t i = 0; i < r->n_net_priorities; i++)
    free(r->net_priorities[i].name);
  free(r->net_priorities);
  for (size_t i = 0; i < r->n_rdma; i++)
    free(r->rdma[i].device);
  free(r->rdma);
  kv_free(r->unified, r->n_unified);
  memset(r, 0, sizeof *r);
}

void spec_seccomp_clear(struct spec_seccomp *s)
{
  free(s->default_action);
  cn_strv_free(s->architectures);
  cn_strv_free(s->flags);
  free(s->listener_path);
  free(s->listener_metadata);
  for (size_t i = 0; i < s->n_syscalls; i++) {
    struct spec_seccomp_syscall *sc = &s->syscalls[i];
    cn_strv_free(sc->names);
    free(sc->action);
    for (size_t j = 0; j < sc->n_args; j++)
      free(sc->args[j].op);
    free(sc->args);
  }
  free(s->syscalls);
  memset(s, 0, sizeof *s);
}

void spec_linux_clear(struct spec_linux *l)
{
  for (size_t i = 0; i < l->n_namespaces; i++)
    free(l->namespaces[i].path);
  free(l->namespaces);
  free(l->uid_mappings);
  free(l->gid_mappings);
  for (size_t i = 0; i < l->n_devices; i++)
    free(l->devices[i].path);
  free(l->devices);
  free(l->cgroups_path);
  spec_resources_clear(&l->resources);
  free(l->rootfs_propagation);
  cn_strv_free(l->masked_paths);
  cn_strv_free(l->readonly_paths);
  free(l->mount_label);
  kv_free(l->sysctl, l->n_sysctl);
  spec_seccomp_clear(&l->seccomp);
  memset(l, 0, sizeof *l);
}

static void mount_clear(struct spec_mount *m)
{
  free(m->destination);
  free(m->source);
  free(m->type);
  cn_strv_free(m->options);
  free(m->uid_mappings);
  free(m->gid_mappings);
}

static void hook_clear(struct spec_hook *h)
{
  free(h->path);
  cn_strv_free(h->args);
  cn_strv_free(h->env);
}

void spec_free(struct spec *s)
{
  if (s == NULL)
    return;
  free(s->oci_version);
  free(s->root_path);
  free(s->hostname);
  free(s->domainname);
  spec_process_clear(&s->process);
  for (size_t i = 0; i < s->n_mounts; i++)
    mount_clear(&s->mounts[i]);
  free(s->mounts);
  for (int k = 0; k < SPEC_HOOK__MAX; k++) {
    for (size_t i = 0; i < s->hooks[k].n; i++)
      hook_clear(&s->hooks[k].v[i]);
    free(s->hooks[k].v);
  }
  kv_free(s->annotations, s->n_annotations);
  spec_linux_clear(&s->linux_);
  free(s);
}
