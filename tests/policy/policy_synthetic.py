"""A large synthetic HTML policy (written here, from varied sentences) for speed tests."""

from __future__ import annotations

SENTENCES = (
    "为了帮助您完成注册，我们会收集您的手机号码{n}。",
    "为保障账号安全，我们会收集您的IMEI、Android ID和位置信息，用于风险识别{n}。",
    "相机权限：用于扫描二维码和拍摄头像（场景{n}）。",
    "我们会与物流服务商共享您的收货地址以完成第{n}笔订单的配送。",
    "您可以在【我的】-【个人资料】中查阅、更正您的个人信息，路径编号{n}。",
    "我们将在您注销账号后6个月内删除您的个人信息，条款{n}。",
    "如您不希望接收个性化推荐，可在【设置】-【隐私】中关闭个性化推荐（入口{n}）。",
)


def big_policy_html(target_bytes: int = 300_000) -> bytes:
    parts = ["<html><head><style>p{margin:0}</style><script>var x=1;</script></head><body>",
             "<h1>某某应用隐私政策</h1><p>更新日期：2024年3月1日</p>"]
    n = 0
    size = sum(len(p.encode()) for p in parts)
    while size < target_bytes:
        n += 1
        block = [f"<h2>第{n}部分 我们如何处理您的信息</h2>"]
        block += [f"<p>{s.format(n=n)}</p>" for s in SENTENCES]
        block.append("<table><tr><th>SDK名称</th><th>公司</th><th>包名</th></tr>"
                     f"<tr><td>统计SDK{n}</td><td>某某科技有限公司</td><td>com.example.sdk{n}</td></tr></table>")
        chunk = "".join(block)
        parts.append(chunk)
        size += len(chunk.encode())
    parts.append("</body></html>")
    return "".join(parts).encode("utf-8")
