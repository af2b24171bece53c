"""The Python-visible C declarations of the libxl binding (the cffi cdef).

Only data lives here; :mod:`bindings.build` feeds it to cffi together with
the C shim in :mod:`bindings._shim`.  The
declarations are deliberately partial: every libxl struct is either opaque
or declares only the fields we touch, followed by ``...`` so the C compiler
fills in the real layout from the installed ``libxl.h``.  Configuration and
state cross the boundary as libxl JSON (``*_from_json`` / ``*_to_json``), so
the Python side never depends on a struct layout, which changes with every
Xen release.

Functions are declared with the 4.14 API (``LIBXL_API_VERSION 0x041400``):
pause, unpause, shutdown, reboot, send_trigger and set_vcpuonline take an
``ao_how`` argument, which we always pass as NULL (synchronous calls).
"""

from __future__ import annotations

MODULE_NAME = "bindings._libxl_cffi"
API_VERSION = 0x041400

# Every IDL type that crosses the boundary as JSON gets init/dispose and the
# two JSON converters declared from this list.
JSON_TYPES = (
    "domain_config", "dominfo", "physinfo", "version_info", "vcpuinfo",
    "device_disk", "device_nic", "diskinfo", "nicinfo",
    "domain_sched_params", "domain_restore_params", "event",
    "cputopology", "numainfo",
)

_CDEF_HEAD = r"""
typedef struct libxl__ctx libxl_ctx;
typedef struct xentoollog_logger xentoollog_logger;
typedef struct libxl__evgen_domain_death libxl_evgen_domain_death;
typedef struct libxl__xen_console_reader libxl_xen_console_reader;
typedef uint64_t libxl_ev_user;
typedef int... libxl_trigger;
typedef int... libxl_scheduler;

typedef struct { ...; } libxl_asyncop_how;
typedef struct { ...; } libxl_asyncprogress_how;
typedef struct { ...; } libxl_domain_config;
typedef struct { ...; } libxl_dominfo;
typedef struct { ...; } libxl_physinfo;
typedef struct { ...; } libxl_version_info;
typedef struct { ...; } libxl_vcpuinfo;
typedef struct { ...; } libxl_device_disk;
typedef struct { ...; } libxl_device_nic;
typedef struct { ...; } libxl_diskinfo;
typedef struct { ...; } libxl_nicinfo;
typedef struct { ...; } libxl_event;
typedef struct { ...; } libxl_cputopology;
typedef struct { ...; } libxl_numainfo;
typedef struct { uint32_t size; uint8_t *map; ...; } libxl_bitmap;
typedef struct {
    libxl_scheduler sched;
    int weight;
    int cap;
    ...;
} libxl_domain_sched_params;
typedef struct {
    int checkpointed_stream;
    uint32_t stream_version;
    ...;
} libxl_domain_restore_params;

#define LIBXL_VERSION ...
#define LIBXL_CPUTOPOLOGY_INVALID_ENTRY ...
#define LIBXL_NUMAINFO_INVALID_ENTRY ...
#define LIBXL_SUSPEND_DEBUG ...
#define LIBXL_SUSPEND_LIVE ...
#define ERROR_NOT_READY ...
#define ERROR_NOPARAVIRT ...
#define XTL_DEBUG ...
#define XTL_INFO ...

void free(void *ptr);

/* context */
int libxl_ctx_alloc(libxl_ctx **pctx, int version, unsigned flags,
                    xentoollog_logger *lg);
int libxl_ctx_free(libxl_ctx *ctx);
void xtl_logger_destroy(xentoollog_logger *logger);
const char *libxl_error_to_string(int p);

/* host */
const libxl_version_info *libxl_get_version_info(libxl_ctx *ctx);
int libxl_get_physinfo(libxl_ctx *ctx, libxl_physinfo *physinfo);
int libxl_get_scheduler(libxl_ctx *ctx);
const char *libxl_scheduler_to_string(libxl_scheduler p);
int libxl_get_max_cpus(libxl_ctx *ctx);
libxl_xen_console_reader *libxl_xen_console_read_start(libxl_ctx *ctx,
                                                       int clear);
int libxl_xen_console_read_line(libxl_ctx *ctx, libxl_xen_console_reader *cr,
                                char **line_r);
void libxl_xen_console_read_finish(libxl_ctx *ctx,
                                   libxl_xen_console_reader *cr);
int libxl_send_debug_keys(libxl_ctx *ctx, char *keys);
libxl_cputopology *libxl_get_cpu_topology(libxl_ctx *ctx, int *nb_cpu_out);
void libxl_cputopology_list_free(libxl_cputopology *list, int nb_cpu);
libxl_numainfo *libxl_get_numainfo(libxl_ctx *ctx, int *nr);
void libxl_numainfo_list_free(libxl_numainfo *list, int nr);

/* domains: query */
libxl_dominfo *libxl_list_domain(libxl_ctx *ctx, int *nb_domain_out);
void libxl_dominfo_list_free(libxl_dominfo *list, int nb_domain);
int libxl_domain_info(libxl_ctx *ctx, libxl_dominfo *info_r, uint32_t domid);
char *libxl_domid_to_name(libxl_ctx *ctx, uint32_t domid);
int libxl_name_to_domid(libxl_ctx *ctx, const char *name, uint32_t *domid);
int libxl_get_memory_target(libxl_ctx *ctx, uint32_t domid,
                            uint64_t *out_target);
uint32_t libxl_vm_get_start_time(libxl_ctx *ctx, uint32_t domid);
int libxl_retrieve_domain_configuration(libxl_ctx *ctx, uint32_t domid,
        libxl_domain_config *d_config, const libxl_asyncop_how *ao_how);

/* domains: lifecycle */
int libxl_domain_create_new(libxl_ctx *ctx, libxl_domain_config *d_config,
        uint32_t *domid, const libxl_asyncop_how *ao_how,
        const libxl_asyncprogress_how *aop_console_how);
int libxl_domain_create_restore(libxl_ctx *ctx,
        libxl_domain_config *d_config, uint32_t *domid, int restore_fd,
        int send_back_fd, const libxl_domain_restore_params *params,
        const libxl_asyncop_how *ao_how,
        const libxl_asyncprogress_how *aop_console_how);
int libxl_domain_destroy(libxl_ctx *ctx, uint32_t domid,
                         const libxl_asyncop_how *ao_how);
int libxl_domain_shutdown(libxl_ctx *ctx, uint32_t domid,
                          const libxl_asyncop_how *ao_how);
int libxl_domain_reboot(libxl_ctx *ctx, uint32_t domid,
                        const libxl_asyncop_how *ao_how);
int libxl_domain_pause(libxl_ctx *ctx, uint32_t domid,
                       const libxl_asyncop_how *ao_how);
int libxl_domain_unpause(libxl_ctx *ctx, uint32_t domid,
                         const libxl_asyncop_how *ao_how);
int libxl_domain_rename(libxl_ctx *ctx, uint32_t domid,
                        const char *old_name, const char *new_name);
int libxl_trigger_from_string(const char *s, libxl_trigger *e);
int libxl_send_trigger(libxl_ctx *ctx, uint32_t domid, libxl_trigger trigger,
                       uint32_t vcpuid, const libxl_asyncop_how *ao_how);
int libxl_send_sysrq(libxl_ctx *ctx, uint32_t domid, char sysrq);
int libxl_domain_suspend(libxl_ctx *ctx, uint32_t domid, int fd, int flags,
                         const libxl_asyncop_how *ao_how);
int libxl_domain_resume(libxl_ctx *ctx, uint32_t domid, int suspend_cancel,
                        const libxl_asyncop_how *ao_how);
int libxl_domain_core_dump(libxl_ctx *ctx, uint32_t domid,
                           const char *filename,
                           const libxl_asyncop_how *ao_how);

/* memory, vcpus, scheduling */
int libxl_set_memory_target(libxl_ctx *ctx, uint32_t domid,
                            int64_t target_memkb, int relative, int enforce);
int libxl_domain_setmaxmem(libxl_ctx *ctx, uint32_t domid,
                           uint64_t target_memkb);
int libxl_get_free_memory(libxl_ctx *ctx, uint64_t *memkb);
int libxl_domain_need_memory(libxl_ctx *ctx, libxl_domain_config *config,
                             uint32_t domid_for_logging,
                             uint64_t *need_memkb);
void libxl_bitmap_init(libxl_bitmap *map);
void libxl_bitmap_dispose(libxl_bitmap *map);
int libxl_bitmap_alloc(libxl_ctx *ctx, libxl_bitmap *bitmap, int n_bits);
int libxl_cpu_bitmap_alloc(libxl_ctx *ctx, libxl_bitmap *cpumap,
                           int max_cpus);
void libxl_bitmap_set(libxl_bitmap *bitmap, int bit);
int libxl_set_vcpuonline(libxl_ctx *ctx, uint32_t domid, libxl_bitmap *cpumap,
                         const libxl_asyncop_how *ao_how);
libxl_vcpuinfo *libxl_list_vcpu(libxl_ctx *ctx, uint32_t domid,
                                int *nb_vcpu, int *nr_cpus_out);
void libxl_vcpuinfo_list_free(libxl_vcpuinfo *, int nr_vcpus);
int libxl_set_vcpuaffinity(libxl_ctx *ctx, uint32_t domid, uint32_t vcpuid,
        const libxl_bitmap *cpumap_hard, const libxl_bitmap *cpumap_soft);
int libxl_domain_sched_params_get(libxl_ctx *ctx, uint32_t domid,
                                  libxl_domain_sched_params *params);
int libxl_domain_sched_params_set(libxl_ctx *ctx, uint32_t domid,
                                  const libxl_domain_sched_params *params);

/* devices */
int libxl_device_disk_add(libxl_ctx *ctx, uint32_t domid,
        libxl_device_disk *disk, const libxl_asyncop_how *ao_how);
int libxl_device_disk_remove(libxl_ctx *ctx, uint32_t domid,
        libxl_device_disk *disk, const libxl_asyncop_how *ao_how);
int libxl_device_disk_destroy(libxl_ctx *ctx, uint32_t domid,
        libxl_device_disk *disk, const libxl_asyncop_how *ao_how);
libxl_device_disk *libxl_device_disk_list(libxl_ctx *ctx, uint32_t domid,
                                          int *num);
void libxl_device_disk_list_free(libxl_device_disk *list, int num);
int libxl_device_disk_getinfo(libxl_ctx *ctx, uint32_t domid,
        const libxl_device_disk *disk, libxl_diskinfo *diskinfo);
int libxl_vdev_to_device_disk(libxl_ctx *ctx, uint32_t domid,
        const char *vdev, libxl_device_disk *disk);
int libxl_device_nic_add(libxl_ctx *ctx, uint32_t domid,
        libxl_device_nic *nic, const libxl_asyncop_how *ao_how);
int libxl_device_nic_remove(libxl_ctx *ctx, uint32_t domid,
        libxl_device_nic *nic, const libxl_asyncop_how *ao_how);
int libxl_device_nic_destroy(libxl_ctx *ctx, uint32_t domid,
        libxl_device_nic *nic, const libxl_asyncop_how *ao_how);
libxl_device_nic *libxl_device_nic_list(libxl_ctx *ctx, uint32_t domid,
                                        int *num);
void libxl_device_nic_list_free(libxl_device_nic *list, int num);
int libxl_device_nic_getinfo(libxl_ctx *ctx, uint32_t domid,
        const libxl_device_nic *nic, libxl_nicinfo *nicinfo);
int libxl_mac_to_device_nic(libxl_ctx *ctx, uint32_t domid,
        const char *mac, libxl_device_nic *nic);
int libxl_devid_to_device_nic(libxl_ctx *ctx, uint32_t domid, int devid,
        libxl_device_nic *nic);

/* console */
int libxl_primary_console_get_tty(libxl_ctx *ctx, uint32_t domid_vm,
                                  char **path);

/* events */
int libxl_evenable_domain_death(libxl_ctx *ctx, uint32_t domid,
        libxl_ev_user user, libxl_evgen_domain_death **evgen_out);
void libxl_evdisable_domain_death(libxl_ctx *ctx,
                                  libxl_evgen_domain_death *evgen);
void libxl_event_free(libxl_ctx *ctx, libxl_event *event);

/* our shim (C source below) */
struct xend_feature { const char *name; int present; };
extern const struct xend_feature xend_features[];
extern const int xend_nfeatures;
extern const char xend_build_version[];
xentoollog_logger *xend_logger_new(int min_level);
void xend_childproc_selective_reap(libxl_ctx *ctx);
int xend_event_wait(libxl_ctx *ctx, int wake_fd, libxl_event **event_r);
extern "Python" void xend_log_cb(int level, int errnoval,
                                 const char *context, const char *msg);
"""

_CDEF_JSON = r"""
void libxl_{t}_init(libxl_{t} *p);
void libxl_{t}_dispose(libxl_{t} *p);
char *libxl_{t}_to_json(libxl_ctx *ctx, libxl_{t} *p);
"""

# Types parsed from JSON.  The event and dominfo parsers serve the tests
# (they check libxl's real encoding of what the backend decodes).
_FROM_JSON_TYPES = ("domain_config", "dominfo", "device_disk", "device_nic",
                    "domain_sched_params", "event")

_CDEF_FROM_JSON = r"""
int libxl_{t}_from_json(libxl_ctx *ctx, libxl_{t} *p, const char *s);
"""


def cdef() -> str:
    """The complete cdef text."""
    parts = [_CDEF_HEAD]
    parts += [_CDEF_JSON.format(t=t) for t in JSON_TYPES]
    parts += [_CDEF_FROM_JSON.format(t=t) for t in _FROM_JSON_TYPES]
    return "\n".join(parts)
