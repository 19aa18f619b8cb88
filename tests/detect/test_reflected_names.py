"""A dangerous permission is used when live code calls one of the APIs it unlocks by reflection under a name it
builds (hegui.detect.folding): MobTools' DeviceHelper#getIMEI concatenates "getDeviceId" from six constants and
hands it to its reflection helper. A name built across a branch, or handed to a call that is no reflection, is
not followed, and the permission stays unused."""

from __future__ import annotations

import pytest

from apkbuild import smali_class
from scanfixtures import APP, app_smali, scan_app, tapped
from smali_snippets import method

pytestmark = pytest.mark.apktool

PHONE = "android.permission.READ_PHONE_STATE"
SB = "Ljava/lang/StringBuilder;"
REFLECT = f"{APP}.util.Reflect"
REFLECT_D = "L" + REFLECT.replace(".", "/") + ";"
OBJ = "Ljava/lang/Object;"
# the SDK's helper: `static Object invoke(Object target, String name, Object[] args)` (body irrelevant here)
REFLECT_SMALI = smali_class(REFLECT, method("invoke", "    const/4 v0, 0x0\n    return-object v0\n",
                                            params=f"{OBJ}Ljava/lang/String;[{OBJ}", ret=OBJ, static=True))
UNUSED = [f"uses-permission {PHONE}, but no code reads imei, meid, imsi, iccid, hardware_serial, cell_info, "
          "call_state, phone_number through the APIs it guards"]


def appends(*pieces: str) -> str:
    return "".join(f'    const-string v1, "{p}"\n    invoke-virtual {{v0, v1}}, {SB}->append(Ljava/lang/String;){SB}\n'
                   for p in pieces)


def builds(middle: str) -> str:
    """`v1 = new StringBuilder()` + `middle` + `.toString()`; then the phone service is v2 (`getSystemService`)."""
    return (f"    new-instance v0, {SB}\n    invoke-direct {{v0}}, {SB}-><init>()V\n" + middle
            + f"    invoke-virtual {{v0}}, {SB}->toString()Ljava/lang/String;\n    move-result-object v1\n"
            '    const-string v2, "phone"\n'
            f"    invoke-virtual {{p0, v2}}, Landroid/content/Context;->getSystemService(Ljava/lang/String;){OBJ}\n"
            "    move-result-object v2\n    const/4 v3, 0x0\n    new-array v3, v3, [Ljava/lang/Object;\n")


REFLECTED = f"    invoke-static {{v2, v1, v3}}, {REFLECT_D}->invoke({OBJ}Ljava/lang/String;[{OBJ}){OBJ}\n"
LOGGED = "    invoke-static {v1, v1}, Landroid/util/Log;->d(Ljava/lang/String;Ljava/lang/String;)I\n"
# 'ge' + (branch) 'tDeviceId': the two paths meet before the rest is appended
ACROSS_BRANCH = (appends("ge") + "    if-eqz p0, :skip\n" + appends("tDeviceId") + "    :skip\n")


def unused_phone_state(tmp_path, body: str) -> list[list[str]]:
    smali = {**app_smali(main_extra=tapped(("probe", body))), REFLECT: REFLECT_SMALI}
    scanned = scan_app(tmp_path, smali, permissions=[PHONE])
    return [[e.detail for e in f.evidence] for f in scanned.report.findings
            if f.rule_id == "PI-NECESSITY-UNRELATED-COLLECTION"]


@pytest.mark.parametrize(("body", "expected"), [
    (builds(appends("ge", "tD", "ev", "ic", "eI", "d")) + REFLECTED, []),
    # a char appended: 'getDeviceI' + 'd'
    (builds(appends("getDeviceI") + "    const/16 v1, 0x64\n"
            f"    invoke-virtual {{v0, v1}}, {SB}->append(C){SB}\n") + REFLECTED, []),
    (builds(appends("ge", "tD", "ev", "ic", "eI", "d")) + LOGGED, [UNUSED]),
    (builds(ACROSS_BRANCH) + REFLECTED, [UNUSED]),
    (builds(appends("ge", "tD", "ev", "ic", "eI", "ds")) + REFLECTED, [UNUSED]),
], ids=["folded-and-reflected", "char-appended", "folded-but-logged", "built-across-a-branch", "another-name"])
def test_a_getter_called_by_a_built_name_uses_the_permission(tmp_path, body, expected):
    assert unused_phone_state(tmp_path, body) == expected
