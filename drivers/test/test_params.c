/* test_params.c: libvirt typed parameters in the test driver: validating what callers send
 * (virTypedParamsValidate) and building what getters return */
#include <string.h>

#include "drivers/test/test_private.h"

static const char *const type_names[] = {
    "unknown", "int", "uint", "llong", "ullong", "double", "boolean", "string",
};

static const char *
type_name(int type)
{
    return type > 0 && type < VB_TYPED_PARAM_LAST ? type_names[type] : type_names[0];
}

static gint
compare_fields(gconstpointer a, gconstpointer b)
{
    return strcmp((*(VbTypedParam *const *)a)->field, (*(VbTypedParam *const *)b)->field);
}

static const TestParamSpec *
find_spec(const TestParamSpec *specs, const char *name)
{
    for (const TestParamSpec *spec = specs; spec->name; spec++) {
        if (g_str_equal(spec->name, name))
            return spec;
    }
    return NULL;
}

/* libvirt walks the parameters sorted by name, so the first offence in that order is reported. */
gboolean
test_params_validate(GArray *params, const TestParamSpec *specs, GError **error)
{
    g_autoptr(GPtrArray) sorted = g_ptr_array_sized_new(params->len);
    const char *last = NULL;

    for (guint i = 0; i < params->len; i++)
        g_ptr_array_add(sorted, &g_array_index(params, VbTypedParam, i));
    g_ptr_array_sort(sorted, compare_fields);
    for (guint i = 0; i < sorted->len; i++) {
        const VbTypedParam *param = g_ptr_array_index(sorted, i);
        const TestParamSpec *spec = find_spec(specs, param->field);

        if (!spec) {
            vb_set_error(error, VB_ERR_ARGUMENT_UNSUPPORTED, "parameter '%s' not supported", param->field);
            return FALSE;
        }
        if (g_strcmp0(last, param->field) == 0) {
            vb_set_error(error, VB_ERR_INVALID_ARG, "parameter '%s' occurs multiple times", param->field);
            return FALSE;
        }
        if (param->type != spec->type) {
            vb_set_error(error, VB_ERR_INVALID_ARG, "invalid type '%s' for parameter '%s', expected '%s'",
                         type_name(param->type), param->field, type_name(spec->type));
            return FALSE;
        }
        last = param->field;
    }
    return TRUE;
}
