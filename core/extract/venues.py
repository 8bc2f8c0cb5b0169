"""The table of common conferences and journals: short names, long forms, kind.

A short name is matched as written (`CVPR`, `TPAMI`), or in any case when a year is attached
(`cvpr2026`, `icassp 2026`); a long form in any case. Order matters where one name holds
another (`SIGGRAPH Asia` before `SIGGRAPH`). Adding a venue is one line.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Venue:
    name: str  # the short name every label uses
    long: str  # the full name (CSL container-title, the pages' tooltips)
    shorts: tuple[str, ...] = ()  # other short spellings
    forms: tuple[str, ...] = ()  # regexes of long forms, matched in any case
    journal: bool = False


def _c(name: str, long: str, *forms: str, shorts: tuple[str, ...] = ()) -> Venue:
    return Venue(name, long, shorts, forms or (re.escape(long),))


def _j(name: str, long: str, *forms: str, shorts: tuple[str, ...] = ()) -> Venue:
    return Venue(name, long, shorts, forms or (re.escape(long),), journal=True)


TABLE: tuple[Venue, ...] = (
    # computer vision and graphics
    _c("CVPR", "IEEE/CVF Conference on Computer Vision and Pattern Recognition",
       r"conference on computer vision and pattern recognition", r"computer vision and pattern recognition"),
    _c("ICCV", "IEEE/CVF International Conference on Computer Vision", r"international conference on computer vision(?! and)"),
    _c("ECCV", "European Conference on Computer Vision"),
    _c("WACV", "IEEE/CVF Winter Conference on Applications of Computer Vision", r"winter conference on applications of computer vision"),
    _c("ACCV", "Asian Conference on Computer Vision"),
    _c("BMVC", "British Machine Vision Conference"),
    _c("3DV", "International Conference on 3D Vision", r"international conference on 3d vision"),
    _c("SIGGRAPH Asia", "ACM SIGGRAPH Asia", r"siggraph asia"),
    _c("SIGGRAPH", "ACM SIGGRAPH", r"siggraph(?! asia)"),
    _c("ACM MM", "ACM International Conference on Multimedia", r"acm (?:international conference on )?multimedia",
       r"acm\s*mm", shorts=("ACMMM",)),
    _c("ICME", "IEEE International Conference on Multimedia and Expo", r"international conference on multimedia and expo"),
    _c("ICIP", "IEEE International Conference on Image Processing", r"international conference on image processing"),
    _c("ICPR", "International Conference on Pattern Recognition", r"international conference on pattern recognition"),
    _c("FG", "IEEE International Conference on Automatic Face and Gesture Recognition",
       r"automatic face and gesture recognition"),
    # machine learning and AI
    _c("NeurIPS", "Conference on Neural Information Processing Systems", r"neural information processing systems",
       shorts=("NIPS",)),
    _c("ICML", "International Conference on Machine Learning"),
    _c("ICLR", "International Conference on Learning Representations"),
    _c("AAAI", "AAAI Conference on Artificial Intelligence"),
    _c("IJCAI", "International Joint Conference on Artificial Intelligence"),
    _c("AISTATS", "International Conference on Artificial Intelligence and Statistics"),
    _c("UAI", "Conference on Uncertainty in Artificial Intelligence"),
    _c("COLT", "Conference on Learning Theory"),
    _c("IJCNN", "International Joint Conference on Neural Networks"),
    _c("MLSys", "Conference on Machine Learning and Systems", r"machine learning and systems? conference",
       r"conference on machine learning and systems"),
    _c("KDD", "ACM SIGKDD Conference on Knowledge Discovery and Data Mining", r"knowledge discovery and data mining",
       shorts=("SIGKDD",)),
    _c("ICDM", "IEEE International Conference on Data Mining"),
    _c("WWW", "The ACM Web Conference", r"the (?:acm )?web conference"),
    _c("SIGIR", "ACM SIGIR Conference on Research and Development in Information Retrieval",
       r"research and development in information retrieval"),
    _c("CIKM", "ACM International Conference on Information and Knowledge Management"),
    _c("WSDM", "ACM International Conference on Web Search and Data Mining"),
    _c("ECIR", "European Conference on Information Retrieval"),
    # language and speech
    _c("ACL", "Annual Meeting of the Association for Computational Linguistics",
       r"annual meeting of the association for computational linguistics"),
    _c("EMNLP", "Conference on Empirical Methods in Natural Language Processing", r"empirical methods in natural language processing"),
    _c("NAACL", "Annual Conference of the North American Chapter of the Association for Computational Linguistics",
       r"north american chapter of the association for computational linguistics"),
    _c("EACL", "Conference of the European Chapter of the Association for Computational Linguistics",
       r"european chapter of the association for computational linguistics"),
    _c("COLING", "International Conference on Computational Linguistics"),
    _c("ICASSP", "IEEE International Conference on Acoustics, Speech and Signal Processing",
       r"international conference on acoustics,? speech,? and signal processing"),
    _c("Interspeech", "Interspeech", r"interspeech", shorts=("INTERSPEECH",)),
    # robotics
    _c("ICRA", "IEEE International Conference on Robotics and Automation", r"international conference on robotics and automation"),
    _c("IROS", "IEEE/RSJ International Conference on Intelligent Robots and Systems", r"intelligent robots and systems"),
    _c("CoRL", "Conference on Robot Learning"),
    _c("RSS", "Robotics: Science and Systems", r"robotics: science and systems"),
    # medicine
    _c("MICCAI", "International Conference on Medical Image Computing and Computer Assisted Intervention",
       r"medical image computing and computer[- ]assisted intervention"),
    _c("ISBI", "IEEE International Symposium on Biomedical Imaging", r"international symposium on biomedical imaging"),
    _c("MIDL", "Medical Imaging with Deep Learning"),
    _c("IPMI", "Information Processing in Medical Imaging"),
    _c("EMBC", "Annual International Conference of the IEEE Engineering in Medicine and Biology Society",
       r"engineering in medicine and biology"),
    _c("SPIE Medical Imaging", "SPIE Medical Imaging", r"spie medical imaging"),
    # systems, theory, HCI
    _c("CHI", "ACM CHI Conference on Human Factors in Computing Systems", r"human factors in computing systems"),
    _c("UIST", "ACM Symposium on User Interface Software and Technology"),
    _c("iConference", "iConference", r"iconference"),
    _c("STOC", "ACM Symposium on Theory of Computing", r"symposium on theory of computing"),
    _c("FOCS", "IEEE Symposium on Foundations of Computer Science", r"symposium on foundations of computer science"),
    _c("SODA", "ACM-SIAM Symposium on Discrete Algorithms", r"symposium on discrete algorithms"),
    _c("DAC", "Design Automation Conference", r"design automation conference"),
    _c("VLDB", "International Conference on Very Large Data Bases", r"very large data ?bases"),
    _c("SIGMOD", "ACM SIGMOD International Conference on Management of Data"),
    # journals
    _j("TPAMI", "IEEE Transactions on Pattern Analysis and Machine Intelligence",
       r"transactions on pattern analysis and machine intelligence", shorts=("PAMI", "T-PAMI")),
    _j("IJCV", "International Journal of Computer Vision"),
    _j("TIP", "IEEE Transactions on Image Processing", r"transactions on image processing"),
    _j("TCSVT", "IEEE Transactions on Circuits and Systems for Video Technology",
       r"transactions on circuits and systems for video technology"),
    _j("TVCG", "IEEE Transactions on Visualization and Computer Graphics", r"transactions on visualization and computer graphics"),
    _j("TMM", "IEEE Transactions on Multimedia", r"transactions on multimedia"),
    _j("TMI", "IEEE Transactions on Medical Imaging", r"transactions on medical imaging"),
    _j("TIFS", "IEEE Transactions on Information Forensics and Security", r"transactions on information forensics and security"),
    _j("TNNLS", "IEEE Transactions on Neural Networks and Learning Systems", r"transactions on neural networks and learning systems"),
    _j("TAI", "IEEE Transactions on Artificial Intelligence", r"transactions on artificial intelligence"),
    _j("TOG", "ACM Transactions on Graphics", r"transactions on graphics"),
    _j("TMLR", "Transactions on Machine Learning Research", r"transactions on machine learning research"),
    _j("TACL", "Transactions of the Association for Computational Linguistics",
       r"transactions of the association for computational linguistics"),
    _j("JMLR", "Journal of Machine Learning Research", r"journal of machine learning research"),
    _j("RA-L", "IEEE Robotics and Automation Letters", r"robotics and automation letters", shorts=("RAL",)),
    _j("T-RO", "IEEE Transactions on Robotics", r"transactions on robotics", shorts=("TRO",)),
    _j("MedIA", "Medical Image Analysis", r"medical image analysis(?! (?:with|of|for))"),
    _j("Nature Communications", "Nature Communications", r"nature communications"),
    _j("PNAS", "Proceedings of the National Academy of Sciences", r"proceedings of the national academy of sciences"),
)

BY_NAME: dict[str, Venue] = {}
for _venue in TABLE:
    for _name in (_venue.name, *_venue.shorts):
        BY_NAME[_name.lower()] = _venue
        BY_NAME[_name.lower().replace(" ", "")] = _venue


def lookup(name: str) -> Venue | None:
    """A venue by any of its short names, in any case and spacing (`neurips`, `NIPS`, `ACM MM`)."""
    return BY_NAME.get(" ".join(name.split()).lower()) or BY_NAME.get(name.lower().replace(" ", ""))


@functools.cache
def finder() -> re.Pattern[str]:
    """One pattern finding any venue of the table: group `v<i>` says which (table order wins)."""
    parts = []
    for i, venue in enumerate(TABLE):
        shorts = "|".join(re.escape(s).replace(r"\ ", r"\s*") for s in (venue.name, *venue.shorts))
        # as written (case-sensitive), or any case with a year or a W(orkshop) glued on: cvpr2026, CVPRW
        alternatives = [rf"(?-i:{shorts})(?![\w-])", rf"(?:{shorts})(?=[-\s']*(?:\d{{2}}|\d{{4}})\b|W\b|-W\b)",
                        *(f"(?:{form})" for form in venue.forms)]
        parts.append(f"(?P<v{i}>(?<![\\w/-])(?:{'|'.join(alternatives)}))")
    return re.compile("|".join(parts), re.IGNORECASE)


def found(match: re.Match[str]) -> Venue:
    return TABLE[int(next(k for k, v in match.groupdict().items() if v is not None)[1:])]
