"""python-dbusmock template: polkitd that records every CheckAuthorization.

Like dbusmock's own polkitd template (SetAllowed, AllowUnknown), plus:
  GetChecks() -> a(sa{ss}u): each checked action with its details and flags, in order
  ClearChecks()
  SetChallenge(as): these actions answer "not authorized, but a challenge is possible"
"""
import dbus

from dbusmock import MOCK_IFACE

BUS_NAME = 'org.freedesktop.PolicyKit1'
MAIN_OBJ = '/org/freedesktop/PolicyKit1/Authority'
MAIN_IFACE = 'org.freedesktop.PolicyKit1.Authority'
SYSTEM_BUS = True
IS_OBJECT_MANAGER = False


def load(mock, _parameters):
    mock.allow_unknown = False
    mock.allowed = []
    mock.challenge = []
    mock.checks = []
    mock.AddProperties(MAIN_IFACE, dbus.Dictionary({
        'BackendName': 'recording',
        'BackendVersion': '0.1',
        'BackendFeatures': dbus.UInt32(1),
    }, signature='sv'))


@dbus.service.method(MAIN_IFACE, in_signature='(sa{sv})sa{ss}us', out_signature='(bba{ss})')
def CheckAuthorization(self, _subject, action_id, details, flags, _cancellation_id):
    self.checks.append((action_id, dict(details), flags))
    allowed = action_id in self.allowed or self.allow_unknown
    challenge = not allowed and action_id in self.challenge
    return (allowed, challenge, {'test': 'test'})


@dbus.service.method(MAIN_IFACE, in_signature='(sa{sv})ss')
def RegisterAuthenticationAgent(_self, _subject, _locale, _object_path):
    pass


@dbus.service.method(MOCK_IFACE, in_signature='b', out_signature='')
def AllowUnknown(self, default):
    self.allow_unknown = default


@dbus.service.method(MOCK_IFACE, in_signature='as', out_signature='')
def SetAllowed(self, actions):
    self.allowed = list(actions)


@dbus.service.method(MOCK_IFACE, in_signature='as', out_signature='')
def SetChallenge(self, actions):
    self.challenge = list(actions)


@dbus.service.method(MOCK_IFACE, in_signature='', out_signature='a(sa{ss}u)')
def GetChecks(self):
    return dbus.Array([(a, dbus.Dictionary(d, signature='ss'), dbus.UInt32(f)) for a, d, f in self.checks],
                      signature='(sa{ss}u)')


@dbus.service.method(MOCK_IFACE, in_signature='', out_signature='')
def ClearChecks(self):
    self.checks = []
