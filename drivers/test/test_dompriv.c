/* test_dompriv.c: what libvirt's test driver keeps beside a domain (testDomainObjPrivate):
 * the guest clock of Get/SetTime and which filesystems are frozen. It lives as long as the
 * domain object, across starts and stops. */
#include "drivers/test/test_private.h"

#define TEST_GUEST_TIME 627319920

GHashTable *
test_domain_privs_new(void)
{
    return g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
}

TestDomainPriv *
test_domain_priv(VbConn *conn, VbDomainObj *dom)
{
    GHashTable *privs = test_priv(conn)->domain_privs;
    TestDomainPriv *priv = g_hash_table_lookup(privs, dom);

    if (!priv) {
        priv = g_new0(TestDomainPriv, 1);
        priv->seconds = TEST_GUEST_TIME;
        g_hash_table_insert(privs, dom, priv);
    }
    return priv;
}

void
test_domain_priv_drop(VbConn *conn, VbDomainObj *dom)
{
    g_hash_table_remove(test_priv(conn)->domain_privs, dom);
}
