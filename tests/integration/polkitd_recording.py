"""python-dbusmock template: polkitd that records every CheckAuthorization.

Like dbusmock's own polkitd template (SetAllowed, AllowUnknown), plus:
  GetChecks() -> a(sa{ss}u): each checked action with its details and flags, in order
  ClearChecks()
  SetChallenge(as): these actions answer "not authorized, but a challenge is possible"
  AllowWithDetails(s, a{ss}): also allow the action when the check's details contain all
      of these key/value pairs (each call adds one such rule), as an admin's rule would
  Hold(as): checks of these actions get no answer until Release()
  Release(): answers every held check and stops holding
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
    mock.detail_rules = []
    mock.hold = set()
    mock.held = []
    mock.AddProperties(MAIN_IFACE, dbus.Dictionary({
        'BackendName': 'recording',
        'BackendVersion': '0.1',
        'BackendFeatures': dbus.UInt32(1),
    }, signature='sv'))


def _allowed_by_rule(mock, action_id, details):
    return any(action == action_id and all(details.get(k) == v for k, v in wanted.items())
               for action, wanted in mock.detail_rules)


@dbus.service.method(MAIN_IFACE, in_signature='(sa{sv})sa{ss}us', out_signature='(bba{ss})',
                     async_callbacks=('reply', 'error'))
def CheckAuthorization(self, _subject, action_id, details, flags, _cancellation_id, reply, error):
    details = {str(k): str(v) for k, v in details.items()}
    self.checks.append((action_id, details, flags))
    allowed = action_id in self.allowed or self.allow_unknown or _allowed_by_rule(self, action_id, details)
    challenge = not allowed and action_id in self.challenge
    answer = (allowed, challenge, {'test': 'test'})
    if action_id in self.hold:
        self.held.append(lambda: reply(answer))
    else:
        reply(answer)


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


@dbus.service.method(MOCK_IFACE, in_signature='sa{ss}', out_signature='')
def AllowWithDetails(self, action, details):
    self.detail_rules.append((str(action), {str(k): str(v) for k, v in details.items()}))


@dbus.service.method(MOCK_IFACE, in_signature='as', out_signature='')
def Hold(self, actions):
    self.hold = set(actions)


@dbus.service.method(MOCK_IFACE, in_signature='', out_signature='')
def Release(self):
    held, self.held, self.hold = self.held, [], set()
    for answer in held:
        answer()
