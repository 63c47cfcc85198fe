"""`hocba demo`: the two demo schools and their test PKI."""

from __future__ import annotations

import argparse

from core import clock
from core.i18n import _
from core.runtime import Runtime
from core.services.schools import year_name_for
from demo.school import COMPLETE_CLASS, create_demo
from demo.signing import demo_signing


async def run(args: argparse.Namespace, runtime: Runtime) -> int:
    created = await create_demo(args.year or year_name_for(clock.today()))
    for school in created:
        print(_("Đã tạo trường mẫu {name} ({code}).").format(name=school.name, code=school.code))
    if not created:
        print(_("Các trường mẫu đã có sẵn; không tạo lại."))
    await demo_signing(runtime.signing.pkcs12_dir, runtime.signing.pkcs12_password)
    print(_("Xem kết quả một lớp: hocba results {klass}").format(klass=COMPLETE_CLASS))
    return 0
