"""Generates the throwaway PKI of one local cluster: a CA, the apiserver's serving
certificate, one client certificate per component, and the service-account key pair.

Keys are ECDSA P-256 (fast to generate). Called by `cluster.up`, and by `kueue` for the
serving certificate of its webhooks.
"""

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_VALIDITY = datetime.timedelta(days=30)
SERVING_DNS_NAMES = (
    "localhost",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
)


@dataclass(frozen=True)
class CertPair:
    """A certificate and its private key, as PEM files."""

    cert: Path
    key: Path


@dataclass(frozen=True)
class ClientIdentity:
    """Who a client certificate says its holder is (user name and RBAC groups)."""

    user: str
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pki:
    """Every credential file a cluster needs."""

    ca: CertPair
    serving: CertPair
    clients: dict[str, CertPair]
    service_account_key: Path
    service_account_pub: Path


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _write_pair(
    pair: CertPair, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> CertPair:
    pair.cert.parent.mkdir(parents=True, exist_ok=True)
    pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(key, pair.key)
    return pair


def _name(common_name: str, groups: tuple[str, ...] = ()) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, g) for g in groups]
    return x509.Name([*attrs, x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
    )


class _Authority:
    """A CA that signs the cluster's leaf certificates."""

    def __init__(self, directory: Path, key: ec.EllipticCurvePrivateKey, name: x509.Name) -> None:
        self.directory, self.key, self.name = directory, key, name
        self.pair = CertPair(directory / "ca.crt", directory / "ca.key")

    @classmethod
    def create(cls, directory: Path) -> "_Authority":
        """A new CA, saved as ca.crt and ca.key in `directory`."""
        key, name = _new_key(), _name("kintern-devcluster-ca")
        cert = (
            _builder(name, name, key)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(key, hashes.SHA256())
        )
        authority = cls(directory, key, name)
        authority._save("ca", cert, key)
        return authority

    @classmethod
    def load(cls, directory: Path) -> "_Authority":
        """The CA that `create` saved in `directory`."""
        cert = x509.load_pem_x509_certificate((directory / "ca.crt").read_bytes())
        key = serialization.load_pem_private_key((directory / "ca.key").read_bytes(), None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TypeError(f"{directory / 'ca.key'} is not the ECDSA key this module writes")
        return cls(directory, key, cert.subject)

    def _save(self, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> CertPair:
        pair = CertPair(self.directory / f"{stem}.crt", self.directory / f"{stem}.key")
        return _write_pair(pair, cert, key)

    def sign(
        self,
        subject: x509.Name,
        usage: x509.ObjectIdentifier,
        sans: list[x509.GeneralName] | None = None,
    ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        """A new key and a leaf certificate for it, for `usage` (server or client auth)."""
        key = _new_key()
        builder = (
            _builder(subject, self.name, key)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        return builder.sign(self.key, hashes.SHA256()), key

    def issue(
        self,
        stem: str,
        subject: x509.Name,
        usage: x509.ObjectIdentifier,
        sans: list[x509.GeneralName] | None = None,
    ) -> CertPair:
        """Sign a leaf certificate and save it as `<stem>.crt` and `<stem>.key`."""
        return self._save(stem, *self.sign(subject, usage, sans))


def _serving_sans(service_ip: str) -> list[x509.GeneralName]:
    ips = [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address(service_ip)]
    return [
        *(x509.DNSName(n) for n in SERVING_DNS_NAMES),
        *(x509.IPAddress(ip) for ip in ips),
    ]


def _service_account_keys(directory: Path) -> tuple[Path, Path]:
    key = _new_key()
    private, public = directory / "sa.key", directory / "sa.pub"
    _write_key(key, private)
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


def generate(directory: Path, clients: dict[str, ClientIdentity], service_ip: str) -> Pki:
    """Write a fresh PKI into `directory`; `clients` maps a file stem to its identity."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = _Authority.create(directory)
    serving = ca.issue(
        "apiserver",
        _name("kube-apiserver"),
        ExtendedKeyUsageOID.SERVER_AUTH,
        _serving_sans(service_ip),
    )
    issued = {
        stem: ca.issue(stem, _name(who.user, who.groups), ExtendedKeyUsageOID.CLIENT_AUTH)
        for stem, who in clients.items()
    }
    sa_key, sa_pub = _service_account_keys(directory)
    return Pki(ca.pair, serving, issued, sa_key, sa_pub)


def loopback_serving_pair(pki_dir: Path, pair: CertPair, common_name: str) -> CertPair:
    """A serving certificate for https://127.0.0.1, signed by the CA in `pki_dir`, saved as
    `pair`: how a component outside the apiserver (Kueue's webhooks) is trusted by it."""
    cert, key = _Authority.load(pki_dir).sign(
        _name(common_name),
        ExtendedKeyUsageOID.SERVER_AUTH,
        [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
    )
    return _write_pair(pair, cert, key)
