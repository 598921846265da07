/* qemu_user.c: the unprivileged user QEMU runs as, and the files it must reach.
 *
 * <config root>/virtbus/qemu.conf (a key file) may say
 *     [qemu]
 *     user=virtbus-qemu
 *     group=kvm
 * qemu:///system without one runs QEMU as `virtbus-qemu` when that user exists (data/virtbus.sysusers
 * creates it); the session driver runs it as the daemon's user unless the file says otherwise.
 * Before a start the files QEMU opens itself — disk images, kernel, initrd, file chardevs — are
 * handed to that user (chown), and their owners are given back when the guest stops, as libvirt's
 * DAC driver does. For such a QEMU the QMP socket is created by the daemon and passed to QEMU as
 * a listening fd, so QEMU needs no access to the state dir. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "drivers/qemu/qemu_private.h"

#define QEMU_SYSTEM_USER "virtbus-qemu"
#define QEMU_GROUPS_MAX 64

struct _QemuUser {
    uid_t uid;
    gid_t gid;
    gid_t groups[QEMU_GROUPS_MAX];
    int n_groups;
};

typedef struct {
    char *path;
    uid_t uid;
    gid_t gid;
} Relabel;

static void
relabel_clear(gpointer data)
{
    g_free(((Relabel *)data)->path);
}

static gboolean
resolve_user(QemuUser *user, const char *name, const char *group, GError **error)
{
    struct passwd *pw = getpwnam(name);
    struct group *gr;

    if (!pw) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "QEMU user '%s' does not exist", name);
        return FALSE;
    }
    user->uid = pw->pw_uid;
    user->gid = pw->pw_gid;
    if (group) {
        if (!(gr = getgrnam(group))) {
            vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "QEMU group '%s' does not exist", group);
            return FALSE;
        }
        user->gid = gr->gr_gid;
    }
    user->n_groups = QEMU_GROUPS_MAX;
    if (getgrouplist(name, user->gid, user->groups, &user->n_groups) < 0)
        user->n_groups = 0;
    return TRUE;
}

gboolean
qemu_user_load(VbConn *conn, GError **error)
{
    QemuPriv *priv = qemu_priv(conn);
    g_autofree char *root = g_path_get_dirname(priv->config_dir);
    g_autofree char *path = g_build_filename(root, "qemu.conf", NULL);
    g_autoptr(GKeyFile) conf = g_key_file_new();
    g_autoptr(GError) local = NULL;
    g_autofree char *name = NULL;
    g_autofree char *group = NULL;

    if (g_key_file_load_from_file(conf, path, G_KEY_FILE_NONE, &local)) {
        name = g_key_file_get_string(conf, "qemu", "user", NULL);
        group = g_key_file_get_string(conf, "qemu", "group", NULL);
    } else if (!g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
        vb_set_error(error, VB_ERR_CONFIG_UNSUPPORTED, "cannot read '%s': %s", path, local->message);
        return FALSE;
    }
    if (!name && priv->privileged && getpwnam(QEMU_SYSTEM_USER))
        name = g_strdup(QEMU_SYSTEM_USER);
    if (!name || (getpwnam(name) && getpwnam(name)->pw_uid == geteuid() && !group))
        return TRUE;
    priv->user = g_new0(QemuUser, 1);
    if (!resolve_user(priv->user, name, group, error)) {
        g_clear_pointer(&priv->user, g_free);
        return FALSE;
    }
    return TRUE;
}

void
qemu_user_set_credentials(VbConn *conn, VbQemuProcessConfig *process)
{
    QemuUser *user = qemu_priv(conn)->user;

    if (!user)
        return;
    process->drop_privileges = TRUE;
    process->uid = user->uid;
    process->gid = user->gid;
    process->groups = user->groups;
    process->n_groups = (guint)user->n_groups;
}

/* ---- files QEMU opens ---- */

static void
add_chardev_paths(const VbDeviceDef *dev, GPtrArray *paths)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autofree char *type = NULL;
    xmlNodePtr root, source, log;

    if ((dev->kind != VB_DEVICE_SERIAL && dev->kind != VB_DEVICE_CONSOLE && dev->kind != VB_DEVICE_CHANNEL) ||
        !dev->xml || !(doc = vb_xml_parse(dev->xml, NULL, NULL)))
        return;
    root = xmlDocGetRootElement(doc);
    type = vb_xml_prop(root, "type");
    if (g_strcmp0(type, "file") == 0 && (source = vb_xml_child(root, "source")))
        g_ptr_array_add(paths, vb_xml_prop(source, "path"));
    if ((log = vb_xml_child(root, "log")))
        g_ptr_array_add(paths, vb_xml_prop(log, "file"));
}

/* Every path of @def that QEMU opens by name. */
static GPtrArray *
qemu_paths(const VbDomainDef *def)
{
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    const VbDiskDef *disk;

    g_ptr_array_add(paths, g_strdup(def->os_kernel));
    g_ptr_array_add(paths, g_strdup(def->os_initrd));
    for (guint n = 0; (disk = vb_domain_def_nth_disk(def, n)); n++) {
        if (g_strcmp0(disk->type, "file") == 0 || g_strcmp0(disk->type, "block") == 0)
            g_ptr_array_add(paths, g_strdup(disk->source_file));
    }
    for (guint i = 0; i < def->devices->len; i++)
        add_chardev_paths(g_ptr_array_index(def->devices, i), paths);
    while (g_ptr_array_remove_fast(paths, NULL))
        ;    /* the elements a definition does not have */
    return paths;
}

/* A chardev log QEMU will create: it must exist, owned by QEMU's user, before QEMU runs. */
static void
precreate(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

    if (fd >= 0)
        close(fd);
}

GArray *
qemu_user_relabel(VbConn *conn, const VbDomainDef *def, GError **error)
{
    QemuUser *user = qemu_priv(conn)->user;
    g_autoptr(GPtrArray) paths = NULL;
    GArray *done = g_array_new(FALSE, TRUE, sizeof(Relabel));

    g_array_set_clear_func(done, relabel_clear);
    if (!user)
        return done;
    paths = qemu_paths(def);
    for (guint i = 0; i < paths->len; i++) {
        const char *path = g_ptr_array_index(paths, i);
        struct stat st;
        Relabel relabel;

        if (stat(path, &st) < 0) {
            precreate(path);
            if (stat(path, &st) < 0)
                continue;    /* QEMU will say what is missing */
        }
        if (st.st_uid == user->uid && st.st_gid == user->gid)
            continue;
        if (chown(path, user->uid, user->gid) < 0) {
            vb_set_error(error, VB_ERR_SYSTEM_ERROR, "unable to set ownership of '%s' to %u:%u: %s", path,
                         (guint)user->uid, (guint)user->gid, g_strerror(errno));
            qemu_user_restore(done);
            return NULL;
        }
        relabel = (Relabel){ g_strdup(path), st.st_uid, st.st_gid };
        g_array_append_val(done, relabel);
    }
    return done;
}

void
qemu_user_restore(GArray *relabeled)
{
    if (!relabeled)
        return;
    for (guint i = 0; i < relabeled->len; i++) {
        const Relabel *relabel = &g_array_index(relabeled, Relabel, i);

        if (chown(relabel->path, relabel->uid, relabel->gid) < 0)
            g_warning("cannot give '%s' back to %u:%u: %s", relabel->path, (guint)relabel->uid,
                      (guint)relabel->gid, g_strerror(errno));
    }
    g_array_unref(relabeled);
}

void
qemu_user_relabel_format(GArray *relabeled, VbBuf *buf)
{
    for (guint i = 0; relabeled && i < relabeled->len; i++) {
        const Relabel *relabel = &g_array_index(relabeled, Relabel, i);
        g_autofree char *path = vb_xml_escape(relabel->path);

        vb_buf_add(buf, "<relabel path='%s' uid='%u' gid='%u'/>\n", path, (guint)relabel->uid, (guint)relabel->gid);
    }
}

GArray *
qemu_user_relabel_parse(xmlNodePtr parent)
{
    GArray *relabeled = g_array_new(FALSE, TRUE, sizeof(Relabel));

    g_array_set_clear_func(relabeled, relabel_clear);
    for (xmlNodePtr node = parent->children; node; node = node->next) {
        g_autofree char *path = NULL;
        int uid = -1, gid = -1;
        Relabel relabel;

        if (node->type != XML_ELEMENT_NODE || !xmlStrEqual(node->name, (const xmlChar *)"relabel") ||
            !(path = vb_xml_prop(node, "path")) || !g_path_is_absolute(path) ||
            !vb_xml_prop_int(node, "uid", VB_XML_REQUIRED, &uid, NULL) ||
            !vb_xml_prop_int(node, "gid", VB_XML_REQUIRED, &gid, NULL) ||
            uid < 0 || gid < 0)
            continue;
        relabel = (Relabel){ g_steal_pointer(&path), (uid_t)uid, (gid_t)gid };
        g_array_append_val(relabeled, relabel);
    }
    return relabeled;
}

/* ---- the monitor socket ---- */

int
qemu_monitor_listen(const char *path, GError **error)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd;

    if (g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path)) >= sizeof(addr.sun_path)) {
        vb_set_error(error, VB_ERR_INTERNAL_ERROR, "monitor socket path '%s' is too long", path);
        return -1;
    }
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot create the monitor socket: %s", g_strerror(errno));
        return -1;
    }
    g_unlink(path);
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 1) < 0) {
        vb_set_error(error, VB_ERR_SYSTEM_ERROR, "cannot listen on the monitor socket '%s': %s", path,
                     g_strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}
