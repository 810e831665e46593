
/*
 * nginx-mastra-auth: a store in the shared zone, the one the verified-token
 * cache (ngx_http_mastra_auth_cache.c) and the Better Auth sessions
 * (ngx_http_mastra_auth_session.c) each keep their entries in.
 *
 * An entry is found by a 32-byte hash (a SHA-256: the tree is keyed by its
 * first bytes, then ordered by the whole hash, so that a lookup is exact
 * whatever two hashes share), is dropped once its time has come (when it
 * is looked up: nothing sweeps the zone), and a full store or a full zone
 * forgets the least recently used entries first.  Every function runs with
 * the zone's lock held.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_mastra_auth_module.h"


static void ngx_http_mastra_auth_store_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);


/*
 * An empty store; max (entries) is set by its user, 0: only the zone
 * bounds it.  A full zone evicts up to "tries" of its oldest entries to
 * make room for a new one.
 */

void
ngx_http_mastra_auth_store_init(ngx_http_mastra_auth_store_t *store,
    ngx_uint_t tries)
{
    ngx_rbtree_init(&store->tree, &store->sentinel,
                    ngx_http_mastra_auth_store_insert_value);
    ngx_queue_init(&store->lru);

    store->count = 0;
    store->max = 0;
    store->tries = tries;
}


static void
ngx_http_mastra_auth_store_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t             **p;
    ngx_http_mastra_auth_entry_t   *en, *et;

    for ( ;; ) {

        if (node->key < temp->key) {
            p = &temp->left;

        } else if (node->key > temp->key) {
            p = &temp->right;

        } else {
            en = (ngx_http_mastra_auth_entry_t *) node;
            et = (ngx_http_mastra_auth_entry_t *) temp;

            p = (ngx_memcmp(en->hash, et->hash, 32) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


/* the entry of this hash; one whose time has come is dropped: NULL */

ngx_http_mastra_auth_entry_t *
ngx_http_mastra_auth_store_lookup(ngx_http_mastra_auth_store_t *store,
    ngx_slab_pool_t *shpool, u_char *hash, time_t now)
{
    ngx_int_t                      rc;
    ngx_rbtree_key_t               key;
    ngx_rbtree_node_t             *node, *sentinel;
    ngx_http_mastra_auth_entry_t  *en;

    ngx_memcpy(&key, hash, sizeof(ngx_rbtree_key_t));

    node = store->tree.root;
    sentinel = store->tree.sentinel;

    while (node != sentinel) {

        if (key != node->key) {
            node = (key < node->key) ? node->left : node->right;
            continue;
        }

        en = (ngx_http_mastra_auth_entry_t *) node;

        rc = ngx_memcmp(hash, en->hash, 32);

        if (rc == 0) {
            if (now < en->until) {
                return en;
            }

            ngx_http_mastra_auth_store_free(store, shpool, en);
            return NULL;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


/*
 * A new entry of size bytes (the header included) for a hash not in the
 * store, the most recently used; "until" is the caller's to set.  The
 * oldest entries make room: beyond max, and when the zone is full.  NULL
 * when no room could be made.
 */

ngx_http_mastra_auth_entry_t *
ngx_http_mastra_auth_store_insert(ngx_http_mastra_auth_store_t *store,
    ngx_slab_pool_t *shpool, u_char *hash, size_t size)
{
    ngx_uint_t                     tries;
    ngx_queue_t                   *q;
    ngx_http_mastra_auth_entry_t  *en;

    while (store->max && store->count >= store->max
           && !ngx_queue_empty(&store->lru))
    {
        q = ngx_queue_last(&store->lru);
        ngx_http_mastra_auth_store_free(store, shpool,
                   ngx_queue_data(q, ngx_http_mastra_auth_entry_t, queue));
    }

    en = NULL;

    for (tries = 0; tries < store->tries; tries++) {
        en = ngx_slab_alloc_locked(shpool, size);
        if (en) {
            break;
        }

        if (ngx_queue_empty(&store->lru)) {
            return NULL;
        }

        q = ngx_queue_last(&store->lru);
        ngx_http_mastra_auth_store_free(store, shpool,
                   ngx_queue_data(q, ngx_http_mastra_auth_entry_t, queue));
    }

    if (en == NULL) {
        return NULL;
    }

    ngx_memcpy(&en->node.key, hash, sizeof(ngx_rbtree_key_t));
    ngx_memcpy(en->hash, hash, 32);

    ngx_rbtree_insert(&store->tree, &en->node);
    ngx_queue_insert_head(&store->lru, &en->queue);
    store->count++;

    return en;
}


void
ngx_http_mastra_auth_store_free(ngx_http_mastra_auth_store_t *store,
    ngx_slab_pool_t *shpool, ngx_http_mastra_auth_entry_t *entry)
{
    ngx_rbtree_delete(&store->tree, &entry->node);
    ngx_queue_remove(&entry->queue);
    ngx_slab_free_locked(shpool, entry);
    store->count--;
}
