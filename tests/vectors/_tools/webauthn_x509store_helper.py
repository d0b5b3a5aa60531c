# Recreated (the sdist omits tests/helpers): patch the store getter so tests can set_time().
from unittest.mock import patch
from OpenSSL.crypto import X509Store
import functools, builtins

def patch_validate_certificate_chain_x509store_getter(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        store = X509Store()
        orig_set_time = store.set_time
        class StoreProxy:
            def set_time(self, dt):
                builtins._vec_now = dt
                return orig_set_time(dt)
            def __getattr__(self, n):
                return getattr(store, n)
        with patch("webauthn.helpers.validate_certificate_chain._generate_new_cert_store", return_value=store):
            return func(*args, StoreProxy(), **kwargs)
    return wrapper
