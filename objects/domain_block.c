/* domain_block.c: org.libvirt.Domain's block jobs (pull, rebase, commit, their speed, progress
 * and end), BlockResize and BlockPeek. The drivers that have them answer later, once QEMU did. */
#include "domain.h"

/* An entry only a driver with a hypervisor process fills: without it, libvirt's "not supported". */
#define ASYNC_OR_UNSUPPORTED(call, op, api, error, ...) \
    (ASYNC(call, op, __VA_ARGS__) ? NULL : (vb_driver_supports(FALSE, (api), (error)), NULL))

GVariant *
vb_domain_block_pull(VbCall *call, GVariant *args, GError **error)
{
    const char *disk;
    guint64 bandwidth;
    guint flags;

    g_variant_get(args, "(&stu)", &disk, &bandwidth, &flags);
    return ASYNC_OR_UNSUPPORTED(call, domain_block_rebase, "virDomainBlockPull", error, disk, NULL, bandwidth, flags);
}

GVariant *
vb_domain_block_rebase(VbCall *call, GVariant *args, GError **error)
{
    const char *disk, *base;
    guint64 bandwidth;
    guint flags;

    g_variant_get(args, "(&s&stu)", &disk, &base, &bandwidth, &flags);
    return ASYNC_OR_UNSUPPORTED(call, domain_block_rebase, "virDomainBlockRebase", error, disk, base, bandwidth,
                                flags);
}

GVariant *
vb_domain_block_commit(VbCall *call, GVariant *args, GError **error)
{
    const char *disk, *base, *top;
    guint64 bandwidth;
    guint flags;

    g_variant_get(args, "(&s&s&stu)", &disk, &base, &top, &bandwidth, &flags);
    return ASYNC_OR_UNSUPPORTED(call, domain_block_commit, "virDomainBlockCommit", error, disk, base, top, bandwidth,
                                flags);
}

/* virDomainBlockCopy's parameters: libvirt checks each name and type (virTypedParamsValidate). */
static gboolean
copy_params_from_variant(GVariant *dict, VbBlockCopyParams *params, GError **error)
{
    static const struct { const char *name; const char *type; } known[] = {
        { "bandwidth", "t" }, { "granularity", "u" }, { "buf-size", "t" },
    };
    GVariantIter iter;
    const char *name;
    GVariant *value;

    g_variant_iter_init(&iter, dict);
    while (g_variant_iter_next(&iter, "{&sv}", &name, &value)) {
        g_autoptr(GVariant) owned G_GNUC_UNUSED = value;
        gsize i;

        for (i = 0; i < G_N_ELEMENTS(known) && !g_str_equal(name, known[i].name); i++)
            ;
        if (i == G_N_ELEMENTS(known)) {
            vb_set_error(error, VB_ERR_ARGUMENT_UNSUPPORTED, "parameter '%s' not supported", name);
            return FALSE;
        }
        if (!g_str_equal(g_variant_get_type_string(value), known[i].type)) {
            vb_set_error(error, VB_ERR_INVALID_ARG, "invalid type '%s' for parameter '%s', expected '%s'",
                         g_variant_get_type_string(value), name, known[i].type);
            return FALSE;
        }
        switch (i) {
        case 0: params->bandwidth = g_variant_get_uint64(value); break;
        case 1: params->granularity = g_variant_get_uint32(value); break;
        default: params->buf_size = g_variant_get_uint64(value); break;
        }
    }
    return TRUE;
}

GVariant *
vb_domain_block_copy(VbCall *call, GVariant *args, GError **error)
{
    const char *disk, *destxml;
    g_autoptr(GVariant) dict = NULL;
    VbBlockCopyParams params = { 0 };
    guint flags;

    g_variant_get(args, "(&s&s@a{sv}u)", &disk, &destxml, &dict, &flags);
    /* a driver without block copy says so before its parameters are looked at, as libvirt's */
    if (!vb_driver_supports(call->conn->driver->domain_block_copy_async != NULL, "virDomainBlockCopy", error) ||
        !copy_params_from_variant(dict, &params, error))
        return NULL;
    return ASYNC_OR_UNSUPPORTED(call, domain_block_copy, "virDomainBlockCopy", error, disk, destxml, &params, flags);
}

GVariant *
vb_domain_block_job_abort(VbCall *call, GVariant *args, GError **error)
{
    const char *disk;
    guint flags;

    g_variant_get(args, "(&su)", &disk, &flags);
    return ASYNC_OR_UNSUPPORTED(call, domain_block_job_abort, "virDomainBlockJobAbort", error, disk, flags);
}

GVariant *
vb_domain_block_job_set_speed(VbCall *call, GVariant *args, GError **error)
{
    const char *disk;
    guint64 bandwidth;
    guint flags;

    g_variant_get(args, "(&stu)", &disk, &bandwidth, &flags);
    return ASYNC_OR_UNSUPPORTED(call, domain_block_job_set_speed, "virDomainBlockJobSetSpeed", error, disk,
                                bandwidth, flags);
}

static void
block_job_info_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    VbDeferred *deferred = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree VbBlockJobInfo *info = g_task_propagate_pointer(G_TASK(result), &error);

    deferred->complete(deferred,
                       info ? g_variant_new("((ittt))", info->type, info->bandwidth, info->cur, info->end) : NULL,
                       error);
}

GVariant *
vb_domain_get_block_job_info(VbCall *call, GVariant *args, GError **error)
{
    const char *disk;
    guint flags;

    g_variant_get(args, "(&su)", &disk, &flags);
    if (ASYNC_POINTER(call, domain_get_block_job_info, block_job_info_done, disk, flags))
        return NULL;
    vb_driver_supports(FALSE, "virDomainGetBlockJobInfo", error);
    return NULL;
}

GVariant *
vb_domain_block_resize(VbCall *call, GVariant *args, GError **error)
{
    const char *disk;
    guint64 size;
    guint flags;

    g_variant_get(args, "(&stu)", &disk, &size, &flags);
    return ASYNC_OR_UNSUPPORTED(call, domain_block_resize, "virDomainBlockResize", error, disk, size, flags);
}

GVariant *
vb_domain_block_peek(VbCall *call, GVariant *args, GError **error)
{
    const char *disk;
    guint64 offset, size;
    guint flags;
    g_autoptr(GBytes) bytes = NULL;

    g_variant_get(args, "(&sttu)", &disk, &offset, &size, &flags);
    if (size > G_MAXSIZE) {
        vb_set_error(error, VB_ERR_INVALID_ARG, "size %" G_GUINT64_FORMAT " is too large", size);
        return NULL;
    }
    if (!(bytes = CALL(call, domain_block_peek, "virDomainBlockPeek", error, disk, offset, (gsize)size, flags)))
        return NULL;
    return g_variant_new("(@ay)", g_variant_new_from_bytes(G_VARIANT_TYPE_BYTESTRING, bytes, TRUE));
}
