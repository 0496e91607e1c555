/*
 * openblas_set_num_threads / openblas_get_num_threads / openblas_get_corename for Node (N-API), so that the learner
 * can run its matrix products on N OpenBLAS threads during updates and on 1 while actor threads step environments.
 * nblas (the sgemm binding) exposes no thread control; both addons load the same libopenblas.so.0 of the process.
 */
#include <node_api.h>

extern void openblas_set_num_threads(int num_threads);
extern int openblas_get_num_threads(void);
extern char *openblas_get_corename(void);

static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t n = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &n) != napi_ok || n < 1 || n > 64) {
    napi_throw_range_error(env, NULL, "setNumThreads: threads must be an integer in [1, 64]");
    return NULL;
  }
  openblas_set_num_threads(n);
  napi_value out;
  napi_create_int32(env, openblas_get_num_threads(), &out);
  return out;
}

static napi_value get_threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_create_int32(env, openblas_get_num_threads(), &out);
  return out;
}

static napi_value corename(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  const char *name = openblas_get_corename();
  napi_create_string_utf8(env, name ? name : "", NAPI_AUTO_LENGTH, &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "setNumThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL },
    { "getNumThreads", NULL, get_threads, NULL, NULL, NULL, napi_default, NULL },
    { "corename", NULL, corename, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
