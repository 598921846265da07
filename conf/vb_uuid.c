#include "vb_uuid.h"

#include <string.h>

#include "vb_error.h"

gboolean
vb_uuid_parse(const char *str, char out[VB_UUID_STRING_LEN])
{
    guint8 raw[16];
    int n = 0;

    if (!str)
        return FALSE;
    for (const char *p = str; *p; p++) {
        if (*p == '-' || *p == ' ')
            continue;
        if (!g_ascii_isxdigit(p[0]) || !g_ascii_isxdigit(p[1]) || n == 16)
            return FALSE;
        raw[n++] = (guint8)(g_ascii_xdigit_value(p[0]) << 4 | g_ascii_xdigit_value(p[1]));
        p++;
    }
    if (n != 16)
        return FALSE;
    g_snprintf(out, VB_UUID_STRING_LEN,
               "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
               raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7],
               raw[8], raw[9], raw[10], raw[11], raw[12], raw[13], raw[14], raw[15]);
    return TRUE;
}

void
vb_uuid_generate(char out[VB_UUID_STRING_LEN])
{
    g_autofree char *uuid = g_uuid_string_random();

    g_strlcpy(out, uuid, VB_UUID_STRING_LEN);
}

gboolean
vb_mac_parse(const char *str, char out[VB_MAC_STRING_LEN])
{
    guint8 raw[6];
    const char *p = str;

    if (!str)
        return FALSE;
    for (int i = 0; i < 6; i++) {
        if (!g_ascii_isxdigit(p[0]))
            return FALSE;
        if (g_ascii_isxdigit(p[1])) {
            raw[i] = (guint8)(g_ascii_xdigit_value(p[0]) << 4 | g_ascii_xdigit_value(p[1]));
            p += 2;
        } else {
            raw[i] = (guint8)g_ascii_xdigit_value(p[0]);
            p += 1;
        }
        if (i < 5) {
            if (*p != ':' && *p != '-')
                return FALSE;
            p++;
        }
    }
    if (*p != '\0')
        return FALSE;
    g_snprintf(out, VB_MAC_STRING_LEN, "%02x:%02x:%02x:%02x:%02x:%02x",
               raw[0], raw[1], raw[2], raw[3], raw[4], raw[5]);
    return TRUE;
}

void
vb_mac_generate(char out[VB_MAC_STRING_LEN])
{
    g_snprintf(out, VB_MAC_STRING_LEN, "52:54:00:%02x:%02x:%02x",
               g_random_int_range(0, 256), g_random_int_range(0, 256), g_random_int_range(0, 256));
}

gboolean
vb_mac_is_multicast(const char *mac)
{
    return (g_ascii_xdigit_value(mac[1]) & 1) != 0;
}

gboolean
vb_name_validate(const char *name, const char *what, GError **error)
{
    if (!name || !*name) {
        vb_set_error(error, VB_ERR_NO_NAME, "%s", what);
        return FALSE;
    }
    if (strchr(name, '/')) {
        vb_set_error(error, VB_ERR_XML_ERROR, "name %s cannot contain '/'", name);
        return FALSE;
    }
    for (const char *p = name; *p; p++) {
        if (g_ascii_iscntrl(*p)) {
            vb_set_error(error, VB_ERR_XML_ERROR, "%s name must not contain control characters", what);
            return FALSE;
        }
    }
    if (!g_utf8_validate(name, -1, NULL)) {
        vb_set_error(error, VB_ERR_XML_ERROR, "%s name is not valid UTF-8", what);
        return FALSE;
    }
    return TRUE;
}
