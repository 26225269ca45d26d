export type Json =
  | string
  | number
  | boolean
  | null
  | { [key: string]: Json | undefined }
  | Json[]

export type Database = {
  public: {
    Tables: {
      [_ in never]: never
    }
    Views: {
      [_ in never]: never
    }
    Functions: {
      accept_crm_invitation: {
        Args: { p_invitation_id: string }
        Returns: Json
      }
      calculate_daily_stats: {
        Args: { p_day: string; p_project_id: string }
        Returns: {
          active_users: number
          avg_session_seconds: number
          conversions: number
          day: string
          new_users: number
          page_views: number
          sessions: number
          signups: number
          updated_at: string
        }[]
      }
      calculate_funnel_conversion: {
        Args: {
          p_days?: number
          p_filter?: Json
          p_from?: string
          p_project_id: string
          p_to?: string
        }
        Returns: {
          computed_at: string
          drop_off: number
          drop_off_pct: number
          event_name: string
          name: string
          pct_of_first: number
          pct_of_previous: number
          prev_users: number
          sample_rate: number
          step_order: number
          users: number
          users_change_pct: number
        }[]
      }
      configure_crm_alerts: {
        Args: {
          p_dashboard_url?: string
          p_notify_token: string
          p_notify_url: string
        }
        Returns: undefined
      }
      create_crm_alert: {
        Args: {
          p_channels: Json
          p_condition: Json
          p_cooldown_minutes?: number
          p_enabled?: boolean
          p_kind: string
          p_name: string
          p_project_id: string
        }
        Returns: string
      }
      create_crm_project: {
        Args: { p_allowed_origins?: string[]; p_name: string }
        Returns: Json
      }
      crm_can_read_topic: { Args: { p_topic: string }; Returns: boolean }
      decline_crm_invitation: {
        Args: { p_invitation_id: string }
        Returns: boolean
      }
      delete_crm_alert: { Args: { p_alert_id: string }; Returns: undefined }
      delete_crm_project: {
        Args: { p_confirm_name: string; p_project_id: string }
        Returns: boolean
      }
      delete_site_user: {
        Args: { p_project_id: string; p_user_id: string }
        Returns: Json
      }
      export_crm_metrics_csv: {
        Args: { p_project_id: string }
        Returns: string
      }
      export_retention_cohorts_csv: {
        Args: {
          p_cohorts?: number
          p_filter?: Json
          p_from: string
          p_period?: string
          p_project_id: string
          p_return_event?: string
          p_segment?: string
          p_start_event?: string
          p_to: string
        }
        Returns: string
      }
      export_site_user: {
        Args: { p_project_id: string; p_user_id: string }
        Returns: Json
      }
      export_site_users_csv: {
        Args: {
          p_online_only?: boolean
          p_project_id: string
          p_segment?: string
        }
        Returns: string
      }
      get_crm_metrics: {
        Args: {
          p_filter?: Json
          p_from?: string
          p_project_id: string
          p_to?: string
        }
        Returns: {
          change: number
          change_pct: number
          last_week: number
          metric: string
          previous: number
          sample_rate: number
          value: number
        }[]
      }
      get_crm_project: { Args: { p_project_id: string }; Returns: Json }
      get_crm_webhook_secret: {
        Args: { p_project_id: string }
        Returns: string
      }
      get_daily_active_users: {
        Args: {
          p_days?: number
          p_filter?: Json
          p_from?: string
          p_project_id: string
          p_to?: string
        }
        Returns: {
          active_users: number
          avg_session_seconds: number
          day: string
          new_users: number
          page_views: number
          prev_active_users: number
          prev_day: string
          sample_rate: number
          sessions: number
        }[]
      }
      get_geo_breakdown: {
        Args: {
          p_filter?: Json
          p_from: string
          p_limit?: number
          p_project_id: string
          p_to: string
        }
        Returns: {
          conversions: number
          country: string
          prev_visitors: number
          sample_rate: number
          sessions: number
          visitors: number
          visitors_change_pct: number
        }[]
      }
      get_ingest_health: {
        Args: { p_hours?: number; p_project_id: string }
        Returns: {
          accepted: number
          bot_dropped: number
          duplicates: number
          erased_dropped: number
          hour: string
          last_rejections: Json
          rate_limited: number
          refused: Json
          rejected: Json
        }[]
      }
      get_ingest_summary: {
        Args: { p_hours?: number; p_project_id: string }
        Returns: Json
      }
      get_lifecycle: {
        Args: {
          p_filter?: Json
          p_period?: string
          p_periods?: number
          p_project_id: string
        }
        Returns: {
          dormant_users: number
          new_users: number
          period_start: string
          resurrecting_users: number
          returning_users: number
          sample_rate: number
        }[]
      }
      get_online_users: {
        Args: { p_project_id: string; p_segment?: string }
        Returns: {
          browser: string
          country: string
          current_page: string
          current_page_since: string
          device_type: string
          email: string
          is_idle: boolean
          is_stuck: boolean
          last_activity_at: string
          name: string
          os: string
          segment: string
          session_id: string
          started_at: string
          time_on_page_seconds: number
          time_on_site_seconds: number
          user_id: string
        }[]
      }
      get_retention_cohorts: {
        Args: {
          p_cohorts?: number
          p_filter?: Json
          p_from: string
          p_period?: string
          p_project_id: string
          p_return_event?: string
          p_segment?: string
          p_start_event?: string
          p_to: string
        }
        Returns: {
          cohort_size: number
          cohort_start: string
          retained: number[]
          retained_pct: number[]
          sample_rate: number
        }[]
      }
      get_retention_curve: {
        Args: {
          p_filter?: Json
          p_from: string
          p_project_id: string
          p_to: string
        }
        Returns: {
          day_n: number
          eligible: number
          retained: number
          retained_pct: number
          sample_rate: number
        }[]
      }
      get_site_user_detail: {
        Args: { p_project_id: string; p_user_id: string }
        Returns: Json
      }
      get_stickiness: {
        Args: {
          p_filter?: Json
          p_from: string
          p_project_id: string
          p_to: string
        }
        Returns: {
          dau: number
          dau_mau_pct: number
          day: string
          mau: number
          sample_rate: number
          wau: number
        }[]
      }
      get_tech_breakdown: {
        Args: {
          p_dimension?: string
          p_filter?: Json
          p_from: string
          p_limit?: number
          p_project_id: string
          p_to: string
        }
        Returns: {
          prev_visitors: number
          sample_rate: number
          sessions: number
          value: string
          visitors: number
          visitors_change_pct: number
        }[]
      }
      get_top_pages: {
        Args: {
          p_filter?: Json
          p_from: string
          p_limit?: number
          p_project_id: string
          p_to: string
        }
        Returns: {
          avg_seconds: number
          entries: number
          exits: number
          page: string
          prev_views: number
          prev_visitors: number
          sample_rate: number
          views: number
          visitors: number
          visitors_change_pct: number
        }[]
      }
      get_traffic_sources: {
        Args: {
          p_dimension?: string
          p_filter?: Json
          p_from: string
          p_limit?: number
          p_project_id: string
          p_to: string
        }
        Returns: {
          paying: number
          prev_paying: number
          prev_sessions: number
          prev_signups: number
          prev_visitors: number
          sample_rate: number
          sessions: number
          signups: number
          value: string
          visitors: number
          visitors_change_pct: number
        }[]
      }
      identify_site_user: {
        Args: {
          p_anonymous_id?: string
          p_email?: string
          p_external_id?: string
          p_metadata?: Json
          p_name?: string
          p_project_id: string
          p_segment?: string
        }
        Returns: Json
      }
      invite_crm_member: {
        Args: { p_email: string; p_project_id: string; p_role?: string }
        Returns: Json
      }
      list_crm_alert_dead_letters: {
        Args: { p_project_id: string }
        Returns: {
          alert_id: string
          alert_name: string
          attempts: number
          channel: string
          created_at: string
          id: number
          last_error: string
          last_status: number
          summary: string
          target: string
        }[]
      }
      list_crm_alert_deliveries: {
        Args: { p_alert_id: string }
        Returns: {
          attempts: number
          channel: string
          created_at: string
          delivered_at: string
          id: number
          is_test: boolean
          last_error: string
          last_status: number
          next_attempt_at: string
          status: string
          summary: string
          target: string
        }[]
      }
      list_crm_alerts: {
        Args: { p_project_id: string }
        Returns: {
          channels: Json
          condition: Json
          cooldown_minutes: number
          created_at: string
          dead: number
          enabled: boolean
          id: string
          kind: string
          last_fired_at: string
          name: string
          pending: number
          suppressed: number
          updated_at: string
        }[]
      }
      list_crm_invitations: { Args: { p_project_id: string }; Returns: Json }
      list_crm_projects: {
        Args: never
        Returns: {
          created_at: string
          id: string
          name: string
          public_key: string
          role: string
        }[]
      }
      list_event_names: {
        Args: { p_project_id: string }
        Returns: {
          name: string
        }[]
      }
      list_my_crm_invitations: { Args: never; Returns: Json }
      list_retention_cohort_users: {
        Args: {
          p_cohort_start: string
          p_filter?: Json
          p_from: string
          p_limit?: number
          p_offset?: number
          p_period?: string
          p_period_offset?: number
          p_project_id: string
          p_return_event?: string
          p_start_event?: string
          p_to: string
        }
        Returns: {
          email: string
          external_id: string
          first_seen_at: string
          id: string
          last_seen_at: string
          name: string
          segment: string
          total_count: number
        }[]
      }
      list_site_users: {
        Args: {
          p_filter?: Json
          p_from?: string
          p_limit?: number
          p_offset?: number
          p_origin?: Json
          p_project_id: string
          p_search?: string
          p_segment?: string
          p_to?: string
        }
        Returns: {
          email: string
          events_count: number
          external_id: string
          first_campaign: string
          first_channel: string
          first_country: string
          first_seen_at: string
          first_source: string
          id: string
          is_online: boolean
          last_campaign: string
          last_channel: string
          last_country: string
          last_seen_at: string
          last_source: string
          name: string
          pageviews_count: number
          segment: string
          sessions_count: number
          total_count: number
          verified: boolean
        }[]
      }
      remove_crm_member: {
        Args: { p_project_id: string; p_user_id: string }
        Returns: boolean
      }
      resend_crm_invitation: {
        Args: { p_invitation_id: string; p_project_id: string }
        Returns: Json
      }
      retry_crm_alert_delivery: {
        Args: { p_delivery_id: number }
        Returns: undefined
      }
      revoke_crm_invitation: {
        Args: { p_invitation_id: string; p_project_id: string }
        Returns: boolean
      }
      rotate_crm_identity_secret: {
        Args: { p_project_id: string }
        Returns: string
      }
      rotate_crm_public_key: { Args: { p_project_id: string }; Returns: string }
      rotate_crm_webhook_secret: {
        Args: { p_project_id: string }
        Returns: string
      }
      set_crm_funnel_steps: {
        Args: { p_project_id: string; p_steps: Json }
        Returns: Json
      }
      set_crm_member_role: {
        Args: { p_project_id: string; p_role: string; p_user_id: string }
        Returns: Json
      }
      test_crm_alert: { Args: { p_alert_id: string }; Returns: number }
      update_crm_alert: {
        Args: {
          p_alert_id: string
          p_channels?: Json
          p_condition?: Json
          p_cooldown_minutes?: number
          p_enabled?: boolean
          p_name?: string
        }
        Returns: undefined
      }
      update_crm_project_settings: {
        Args: {
          p_allowed_origins?: string[]
          p_name?: string
          p_project_id: string
          p_settings?: Json
        }
        Returns: Json
      }
    }
    Enums: {
      [_ in never]: never
    }
    CompositeTypes: {
      [_ in never]: never
    }
  }
}

type DatabaseWithoutInternals = Omit<Database, "__InternalSupabase">

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, "public">]

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
        DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
      DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])[TableName] extends {
      Row: infer R
    }
    ? R
    : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] &
        DefaultSchema["Views"])
    ? (DefaultSchema["Tables"] &
        DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends {
        Row: infer R
      }
      ? R
      : never
    : never

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Insert: infer I
    }
    ? I
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
        Insert: infer I
      }
      ? I
      : never
    : never

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Update: infer U
    }
    ? U
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
        Update: infer U
      }
      ? U
      : never
    : never

export type Enums<
  DefaultSchemaEnumNameOrOptions extends
    | keyof DefaultSchema["Enums"]
    | { schema: keyof DatabaseWithoutInternals },
  EnumName extends (DefaultSchemaEnumNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never) = never,
> = DefaultSchemaEnumNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
    ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
    : never

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof DatabaseWithoutInternals },
  CompositeTypeName extends (PublicCompositeTypeNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never) = never,
> = PublicCompositeTypeNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
    ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
    : never

export const Constants = {
  public: {
    Enums: {},
  },
} as const

