"""`hocba demo`: the two demo schools and their test PKI."""

from __future__ import annotations

import argparse
import datetime as dt

from core import clock
from core.i18n import _
from core.runtime import Runtime
from demo.school import COMPLETE_CLASS, COMPLETE_CLASSES, SECONDARY, create_demo
from demo.signing import demo_signing


def ended_year(today: dt.date) -> str:
    """The latest school year whose term II is over (it ends on 31/5 by default): the demo's
    class 6A has a whole year of marks, and a year is closed only after its last term."""
    first = today.year - 1 if (today.month, today.day) > (5, 31) else today.year - 2
    return f"{first}-{first + 1}"


async def run(args: argparse.Namespace, runtime: Runtime) -> int:
    created = await create_demo(args.year or ended_year(clock.today()))
    for school in created:
        print(_("Đã tạo trường mẫu {name} ({code}).").format(name=school.name, code=school.code))
    if not created:
        print(_("Các trường mẫu đã có sẵn; không tạo lại."))
    moments = await demo_signing(runtime.signing.pkcs12_dir, runtime.signing.pkcs12_password)
    print(_("Xem kết quả một lớp: hocba results {klass}").format(klass=COMPLETE_CLASS))
    for spec, class_name in COMPLETE_CLASSES:
        if (moment := moments.get(spec.code)) is None:
            continue
        school = "" if spec is SECONDARY else f"--school {spec.code} "
        print(
            _(
                "Ký cả chuỗi và phát hành học bạ lớp {klass} của {name} bằng khóa thử nghiệm "
                "(chế độ trình diễn), trên đồng hồ thử nghiệm ở ngày phát hành của năm học mẫu "
                "(sau học kỳ II, trước hạn chốt dữ liệu 15/8): HOCBA_DEMO_ENABLED=true "
                'HOCBA_STAGING_NOW="{at}" hocba {school}issue {klass}'
            ).format(
                klass=class_name,
                name=spec.name,
                school=school,
                at=clock.local(moment).strftime("%Y-%m-%d %H:%M"),
            )
        )
    return 0
