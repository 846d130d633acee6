"""Heading texts teams actually write, in several languages, mapped to the section keys the parser
understands; teams add their own through the `synonyms` argument (see docs/story-format.md).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence

# key: "|"-separated heading texts (English, Spanish, Portuguese, French, German, Chinese,
# Japanese, Korean). Compared after `normalise`, so case, numbering and emoji do not matter.
BUILTIN: dict[str, str] = {
    "overview": "Overview|Story Overview|Summary|Resumen|Visão geral|Resumo|Aperçu|Vue d'ensemble"
    "|Résumé|Überblick|Übersicht|Zusammenfassung|概述|概要|개요|요약",
    "status": "Status|Story Status|Estado|Statut|Stand|状态|狀態|ステータス|상태",
    "description": "Description|Story Description|Story|Descripción|Historia|Descrição|História"
    "|Beschreibung|描述|说明|説明|ストーリー|설명|스토리",
    "user_value": "User Value|User Story|Value to the User|User Need|Valor para el usuario"
    "|Historia de usuario|Valor para o usuário|História de usuário|Valeur utilisateur"
    "|Récit utilisateur|User Story Beschreibung|Nutzerwert|Anwendergeschichte|用户价值|用户故事"
    "|ユーザー価値|ユーザーストーリー|사용자 가치|사용자 스토리",
    "business": "Business Context|Business Context Summary|Context|Contexto de negocio"
    "|Contexto de negócio|Contexte métier|Geschäftskontext|业务背景|ビジネスコンテキスト"
    "|비즈니스 컨텍스트",
    "business_value": "Business Value|Value|Why|Valor de negocio|Valor de negócio"
    "|Valeur métier|Geschäftswert|Mehrwert|业务价值|商业价值|ビジネス価値|비즈니스 가치",
    "success_criteria": "Success Criteria|Success Metrics|KPIs|Metrics|Criterios de éxito"
    "|Critérios de sucesso|Critères de succès|Erfolgskriterien|成功标准|成功基準|성공 기준",
    "acceptance_criteria": "Acceptance Criteria|Acceptance|Story Acceptance Criteria"
    "|Acceptance Criterion|AC"
    "|ACs|Acceptance Tests"
    "|Scenarios|Criterios de aceptación|Critérios de aceitação|Critérios de aceite"
    "|Critères d'acceptation|Critères d'acceptance|Akzeptanzkriterien|Abnahmekriterien"
    "|验收标准|验收条件|受け入れ基準|受入基準|인수 조건|인수 기준|수락 기준",
    "approach": "Technical Approach|Technical Approach Summary|Technical Design|Solution"
    "|Proposed Solution|Design|Enfoque técnico|Solución|Abordagem técnica|Solução"
    "|Approche technique|Solution technique|Technischer Ansatz|Lösung|技术方案|技术方法"
    "|技術的アプローチ|技術方針|기술 접근 방식|기술 방안",
    "architecture": "Architecture|Architecture Alignment|Arquitectura|Arquitetura"
    "|Architektur|架构|アーキテクチャ|아키텍처",
    "strategy": "Implementation Strategy|Implementation Approach|Estrategia de implementación"
    "|Estratégia de implementação|Stratégie de mise en œuvre|Umsetzungsstrategie|实施策略"
    "|実装戦略|구현 전략",
    "decisions": "Technical Decisions|Key Technical Decisions|Decisions|ADRs"
    "|Decisiones técnicas|Decisões técnicas|Décisions techniques|Technische Entscheidungen"
    "|技术决策|技術的決定|기술 결정",
    "tasks": "Tasks|Tasks / Subtasks|Task List|Subtasks|Sub-tasks|Implementation Tasks"
    "|Task Breakdown|Tasks Created|Steps|Pasos|Passos|Étapes|Schritte"
    "|Development Task Breakdown|Development Tasks|Work Items|Work Breakdown|To Do|Todo"
    "|Tareas|Subtareas|Desglose de tareas|Tarefas|Subtarefas|Tâches"
    "|Sous-tâches|Aufgaben|Teilaufgaben|Arbeitspakete|任务|任务列表|子任务|任務|タスク"
    "|タスク一覧|サブタスク|작업|작업 목록|하위 작업|태스크|태스크 목록",
    "task_graph": "Task Sequence & Dependencies|Task Sequence|Task Dependencies"
    "|Dependency Graph|Secuencia de tareas|Sequência de tarefas|Séquence des tâches"
    "|Aufgabenreihenfolge|任务顺序|タスク順序|작업 순서",
    "dependencies": "Dependencies|Dependencies & Execution Order|Dependency Order"
    "|Execution Order|Task Order|Dependencies and Order|Dependencias|Dependencias entre tareas"
    "|Dependências|Dépendances|Abhängigkeiten|依赖关系|依赖|任务依赖|依賴關係|依存関係|依存"
    "|タスク依存関係|의존성|의존 관계|작업 의존성|종속성",
    "testing": "Testing|Test Plan|Testing Plan|Testing Strategy|Tests|QA|Quality Assurance"
    "|Integration & Testing Plan|Integration and Testing|Pruebas|Plan de pruebas|Testes"
    "|Plano de testes|Tests et validation|Plan de test|Testplan|Teststrategie|测试|测试计划"
    "|テスト|テスト計画|테스트|테스트 계획",
    "integration_strategy": "Integration Strategy|Integration|Estrategia de integración"
    "|Estratégia de integração|Stratégie d'intégration|Integrationsstrategie|集成策略"
    "|統合戦略|통합 전략",
    "end_to_end": "End-to-End Testing|End to End Testing|E2E|E2E Tests|Pruebas de extremo a extremo"
    "|Testes ponta a ponta|Tests de bout en bout|End-to-End-Tests|端到端测试|E2Eテスト|E2E 테스트",
    "performance": "Performance|Performance Validation|Performance Requirements|Rendimiento"
    "|Desempenho|Performances|Leistung|Performanz|性能|パフォーマンス|성능",
    "security": "Security|Security Validation|Security Requirements|Security Considerations"
    "|Seguridad|Segurança|Sécurité|Sicherheit|安全|安全性|セキュリティ|보안",
    "environment": "Environment|Setup|Development Environment|Development Environment Setup"
    "|Prerequisites|Local Development|Entorno|Configuración|Ambiente|Configuração"
    "|Environnement|Installation|Umgebung|Einrichtung|Voraussetzungen|环境|开发环境|環境"
    "|開発環境|환경|개발 환경",
    "quality": "Code Quality Standards|Coding Standards|Code Quality|Estándares de código"
    "|Padrões de código|Normes de code|Coding-Richtlinien|代码规范|コーディング規約|코딩 표준",
    "review_checklist": "Code Review Checklist|Review Checklist|Lista de revisión de código"
    "|Checklist de revisão|Liste de revue de code|Code-Review-Checkliste|代码审查清单"
    "|コードレビューチェックリスト|코드 리뷰 체크리스트",
    "risks": "Risks|Risk|Risk Mitigation|Risks and Mitigations|Risks & Mitigations"
    "|Technical Risks|Riesgos|Riscos|Risques|Risiken|风险|風險|リスク|위험|리스크",
    "challenges": "Implementation Challenges|Challenges|Desafíos|Desafios|Défis"
    "|Herausforderungen|挑战|課題|과제",
    "support": "Support & Escalation|Support|Escalation|Soporte|Suporte|Escalade"
    "|Eskalation|支持|サポート|지원",
    "tech_lead_support": "Tech Lead Support",
    "architecture_questions": "Architecture Questions",
    "business_questions": "Business Questions",
    "progress": "Progress Tracking|Progress|Progreso|Progresso|Suivi|Fortschritt|进度"
    "|進捗|진행 상황",
    "daily_checkpoints": "Daily Checkpoints",
    "weekly_milestones": "Weekly Milestones|Milestones|Hitos|Marcos|Jalons|Meilensteine"
    "|里程碑|マイルストーン|마일스톤",
    "success_indicators": "Success Indicators",
    "completion": "Completion Checklist|Completion",
    "technical_completion": "Technical Completion",
    "business_completion": "Business Completion",
    "operational_completion": "Operational Completion",
    "retrospective": "Retrospective Notes|Retrospective|Retrospectiva|Rétrospective"
    "|Retrospektive|回顾|振り返り|회고",
    "worked_well": "What Worked Well",
    "challenges_encountered": "Challenges Encountered",
    "lessons": "Lessons Learned",
    "improvements": "Process Improvements",
    "definition_of_done": "Definition of Done|DoD|Done Criteria|Definición de terminado"
    "|Definición de hecho|Definição de pronto|Définition de terminé|Définition du fini"
    "|Definition of Done (DoD)|Fertig-Definition|完成的定义|完成定义|完了の定義|완료 정의"
    "|완료 조건",
    "definition_of_ready": "Definition of Ready|DoR|Definición de listo|Definição de preparado"
    "|Définition de prêt|Definition of Ready (DoR)|就绪定义|準備完了の定義|준비 정의",
    "checklist": "QA Checklist|Checklist|Release Checklist|Deployment Checklist"
    "|Lista de verificación|Lista de verificação|Liste de contrôle|Checkliste|检查清单"
    "|チェックリスト|체크리스트",
    "dev_notes": "Dev Notes|Developer Notes|Implementation Notes|Technical Notes|Notes"
    "|Notas de desarrollo|Notas técnicas|Notas de implementação|Notes techniques"
    "|Notes de développement|Entwicklerhinweise|Technische Hinweise|开发说明|开发备注"
    "|開発メモ|実装メモ|개발 노트|구현 노트",
    "out_of_scope": "Out of Scope|Non-Goals|Not in Scope|Fuera de alcance|Fora do escopo"
    "|Hors périmètre|Hors sujet|Nicht im Umfang|Außerhalb des Umfangs|不在范围内|范围外"
    "|対象外|스코프 외|범위 외",
}

SECTION_KEYS = tuple(BUILTIN)
# Keys a heading may also end with ("Backend Tasks", "Security Risks"): several such sections
# are common, and the words before the key only say which part of the work they cover.
_SUFFIX_KEYS = frozenset(
    {"tasks", "risks", "acceptance_criteria", "checklist", "testing", "dependencies"}
)

_CJK_NUMERALS = frozenset("一二三四五六七八九十百")


def normalise(text: str) -> str:
    """Heading text reduced to comparable words: case, numbering, emoji and punctuation removed."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("&", " and ")
    text = text.replace("\u2019", "").replace("'", "")
    kept = "".join(ch if unicodedata.category(ch)[0] in "LN" else " " for ch in text)
    words = kept.split()
    while len(words) > 1 and (words[0].isdigit() or set(words[0]) <= _CJK_NUMERALS):
        words.pop(0)
    return " ".join(words)


class Headings:
    """Classifies heading texts into section keys, with a team's extra synonyms on top."""

    def __init__(self, extra: Mapping[str, Sequence[str]] | None = None) -> None:
        self.lookup: dict[str, str] = {}
        for key, texts in BUILTIN.items():
            for text in texts.split("|"):
                self.lookup.setdefault(normalise(text), key)
        self.unknown = sorted(set(extra or {}) - set(BUILTIN))
        for key, extra_texts in (extra or {}).items():
            for text in extra_texts:
                if normalise(text):
                    self.lookup[normalise(text)] = key

    def classify(self, title: str) -> str | None:
        """The section key for a heading, or None; "Tasks: Login" matches by its first part."""
        text = normalise(title)
        if text in self.lookup:
            return self.lookup[text]
        for separator in (":", " - ", " — ", " \u2013 ", "(", "\uff1a", " / "):
            head = title.split(separator, 1)[0]
            if head != title and normalise(head) in self.lookup:
                return self.lookup[normalise(head)]
        words = text.split()
        for size in (3, 2, 1):
            key = self.lookup.get(" ".join(words[-size:])) if len(words) > size else None
            if key in _SUFFIX_KEYS:
                return key
        return None
