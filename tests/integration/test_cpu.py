"""Connect.CompareCPU and Connect.BaselineCPU on the test driver.

The test driver's host CPU is the <cpu> of its capabilities, which names no model; it is taken
as a SandyBridge from Intel (drivers/test/test_cpu.c)."""

import dbus

from conftest import DOMAIN, TEST_DOMAIN_PATH, assert_dbus_error, parse_xml

U = dbus.UInt32
S = dbus.Array

IDENTICAL, SUPERSET, INCOMPATIBLE = 1, 2, 0
FAIL_INCOMPATIBLE = 1
EXPAND_FEATURES, MIGRATABLE = 1, 2


def compare(virtbusd, xml, flags=0):
    return int(virtbusd.conn_call("CompareCPU", xml, U(flags)))


def baseline(virtbusd, cpus, flags=0):
    return str(virtbusd.conn_call("BaselineCPU", S(cpus, signature="s"), U(flags)))


def test_compare_match_modes(virtbusd):
    assert compare(virtbusd, "<cpu match='minimum'><model>Westmere</model></cpu>") == SUPERSET
    assert compare(virtbusd, "<cpu match='exact'><model>Nehalem</model></cpu>") == SUPERSET
    assert compare(virtbusd, "<cpu match='strict'><model>SandyBridge</model></cpu>") == IDENTICAL
    assert compare(virtbusd, "<cpu match='strict'><model>Westmere</model></cpu>") == INCOMPATIBLE
    assert compare(virtbusd, "<cpu mode='host-passthrough'/>") == IDENTICAL
    assert compare(virtbusd, "<cpu mode='host-model'/>") == IDENTICAL


def test_compare_feature_policies(virtbusd):
    def with_feature(policy, name):
        return ("<cpu match='exact'><model>SandyBridge</model><vendor>Intel</vendor>"
                "<feature policy='%s' name='%s'/></cpu>" % (policy, name))
    assert compare(virtbusd, with_feature("require", "avx2")) == INCOMPATIBLE
    assert compare(virtbusd, with_feature("force", "avx2")) == IDENTICAL
    assert compare(virtbusd, with_feature("optional", "avx2")) == IDENTICAL
    assert compare(virtbusd, with_feature("disable", "avx")) == IDENTICAL
    assert compare(virtbusd, "<cpu><model>Westmere</model><feature policy='disable' name='aes'/></cpu>") \
        == SUPERSET
    assert compare(virtbusd, with_feature("forbid", "avx")) == INCOMPATIBLE
    assert compare(virtbusd, with_feature("forbid", "avx2")) == IDENTICAL


def test_compare_newer_model(virtbusd):
    xml = "<cpu match='minimum'><model>IvyBridge</model></cpu>"
    assert compare(virtbusd, xml) == INCOMPATIBLE
    assert_dbus_error(virtbusd.conn_call, "CompareCPU", xml, U(FAIL_INCOMPATIBLE),
                      contains="the CPU is incompatible with host CPU: Host CPU does not provide "
                               "required features: f16c, rdrand, fsgsbase, smep, erms")
    # the flag changes nothing for a compatible CPU
    assert compare(virtbusd, "<cpu><model>Westmere</model></cpu>", FAIL_INCOMPATIBLE) == SUPERSET


def test_compare_vendor_and_arch(virtbusd):
    assert compare(virtbusd, "<cpu><model>qemu64</model><vendor>AMD</vendor></cpu>") == INCOMPATIBLE
    assert_dbus_error(virtbusd.conn_call, "CompareCPU",
                      "<cpu><model>qemu64</model><vendor>AMD</vendor></cpu>", U(FAIL_INCOMPATIBLE),
                      contains="host CPU vendor does not match required CPU vendor AMD")
    domain = ("<domain type='test'><name>c</name><memory>1024</memory><vcpu>1</vcpu>"
              "<os><type arch='%s'>hvm</type></os><cpu><model>Nehalem</model></cpu></domain>")
    assert compare(virtbusd, domain % "x86_64") == SUPERSET
    assert compare(virtbusd, domain % "aarch64") == INCOMPATIBLE


def test_compare_every_listed_model(virtbusd):
    """GetCPUModelNames lists exactly the models CompareCPU understands."""
    models = [str(m) for m in virtbusd.conn_call("GetCPUModelNames", "x86_64", U(0))]
    assert "SandyBridge" in models and "EPYC-Rome" in models
    results = {m: compare(virtbusd, "<cpu><model>%s</model></cpu>" % m) for m in models}
    assert results["SandyBridge"] == IDENTICAL
    assert results["kvm64"] == SUPERSET
    assert results["Haswell"] == INCOMPATIBLE


def test_compare_errors(virtbusd):
    assert_dbus_error(virtbusd.conn_call, "CompareCPU", "<cpu><model>Nope</model></cpu>", U(0),
                      contains="Unknown CPU model Nope")
    assert_dbus_error(virtbusd.conn_call, "CompareCPU", "<cpu><model>Haswell</model>", U(0),
                      contains="Premature end of data")
    assert_dbus_error(virtbusd.conn_call, "CompareCPU", "<cpu/>", U(0),
                      contains="no guest CPU model specified")
    assert_dbus_error(virtbusd.conn_call, "CompareCPU",
                      "<cpu><model>Haswell</model><feature policy='often' name='vmx'/></cpu>", U(0),
                      contains="invalid value 'often' for attribute 'policy' of element 'feature'")
    assert_dbus_error(virtbusd.conn_call, "CompareCPU", "<cpu><model>Haswell</model></cpu>", U(1 << 7),
                      contains="unsupported flags (0x80) in function virConnectCompareCPU")
    # the test domain has no <cpu>
    xml = str(virtbusd.call(TEST_DOMAIN_PATH, DOMAIN, "GetXMLDesc", U(0)))
    assert_dbus_error(virtbusd.conn_call, "CompareCPU", xml, U(0),
                      contains="missing <cpu> element in <domain>")


HOST_A = ("<cpu><arch>x86_64</arch><model>Haswell</model><vendor>Intel</vendor>"
          "<feature name='vmx'/><feature name='pdpe1gb'/><feature name='invtsc'/></cpu>")
HOST_B = ("<capabilities><host><cpu><arch>x86_64</arch><model>Skylake-Client</model>"
          "<vendor>Intel</vendor><feature name='vmx'/><feature name='invtsc'/></cpu></host>"
          "</capabilities>")
HOST_C = "<cpu><model>IvyBridge</model><vendor>Intel</vendor><feature name='vmx'/></cpu>"


def test_baseline(virtbusd):
    cpu = parse_xml(baseline(virtbusd, [HOST_A, HOST_B]))
    assert cpu.tag == "cpu"
    assert cpu.get("mode") == "custom" and cpu.get("match") == "exact"
    assert cpu.findtext("model") == "Haswell"
    assert cpu.find("model").get("fallback") == "forbid"
    assert cpu.findtext("vendor") == "Intel"
    assert [(f.get("policy"), f.get("name")) for f in cpu.findall("feature")] == \
        [("require", "vmx"), ("require", "invtsc")]

    cpu = parse_xml(baseline(virtbusd, [HOST_A, HOST_B, HOST_C]))
    assert cpu.findtext("model") == "IvyBridge"
    assert [f.get("name") for f in cpu.findall("feature")] == ["vmx"]


def test_baseline_flags(virtbusd):
    migratable = parse_xml(baseline(virtbusd, [HOST_A, HOST_B], MIGRATABLE))
    assert [f.get("name") for f in migratable.findall("feature")] == ["vmx"]
    expanded = parse_xml(baseline(virtbusd, [HOST_A, HOST_B], EXPAND_FEATURES))
    names = [f.get("name") for f in expanded.findall("feature")]
    assert {"fpu", "sse4.2", "avx2", "hle", "vmx", "invtsc"} <= set(names)
    assert "rdseed" not in names


def test_baseline_errors(virtbusd):
    assert_dbus_error(virtbusd.conn_call, "BaselineCPU", S([], signature="s"), U(0),
                      contains="no CPU definitions given")
    assert_dbus_error(virtbusd.conn_call, "BaselineCPU",
                      S([HOST_A, "<cpu><model>EPYC</model><vendor>AMD</vendor></cpu>"], signature="s"),
                      U(0), contains="CPU vendors do not match")
    assert_dbus_error(virtbusd.conn_call, "BaselineCPU", S([HOST_A, "<cpu>"], signature="s"), U(0),
                      contains="Premature end of data")
    assert_dbus_error(virtbusd.conn_call, "BaselineCPU", S([HOST_A], signature="s"), U(4),
                      contains="unsupported flags (0x4) in function virConnectBaselineCPU")
